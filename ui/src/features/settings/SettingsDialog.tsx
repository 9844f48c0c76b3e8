import { Dialog } from '../../shared/Dialog';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { FhirSection } from '../fhir/FhirSection';
import { EcmSection } from './EcmSection';
import { ExportsSection } from './ExportsSection';
import { HisSection } from './HisSection';
import { MessagingSection } from './MessagingSection';
import { OtherSettingsSection } from './OtherSettingsSection';
import { OutreachSettingsSection } from './OutreachSettingsSection';
import { useSettings } from './queries';
import { SecuritySection } from './SecuritySection';
import { ServersSection } from './ServersSection';
import { TestMessageSection } from './TestMessageSection';
import { YouSection } from './YouSection';
import './settings.css';

interface Props {
  /** Where the backend keeps its database (from app_info); shown read-only for clinic IT. */
  dataDir: string;
  onClose: () => void;
}

export function SettingsDialog({ dataDir, onClose }: Props) {
  const settings = useSettings();
  return (
    <Dialog title="Settings" onClose={onClose} className="dialog--wide">
      <p className="settings-data-dir" data-testid="data-dir">
        <span className="settings-data-dir__label">Data directory</span>
        <span className="settings-data-dir__path mono">{dataDir}</span>
      </p>
      <ErrorMessage error={settings.error} context="Could not load settings" />
      {settings.isPending ? <p className="muted">Loading settings…</p> : null}
      {settings.data ? (
        <>
          <ServersSection />
          <HisSection />
          <EcmSection />
          <FhirSection />
          <MessagingSection />
          <OutreachSettingsSection />
          <TestMessageSection />
          <YouSection />
          <SecuritySection />
          <ExportsSection />
          <OtherSettingsSection />
        </>
      ) : null}
    </Dialog>
  );
}
