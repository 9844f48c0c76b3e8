import { Dialog } from '../../shared/Dialog';
import { CredentialsSection } from './CredentialsSection';
import { SettingsForm } from './SettingsForm';
import './settings.css';

interface Props {
  /** Where the backend keeps its database (from app_info); shown read-only for clinic IT. */
  dataDir: string;
  onClose: () => void;
}

export function SettingsDialog({ dataDir, onClose }: Props) {
  return (
    <Dialog title="Settings" onClose={onClose} className="dialog--wide">
      <p className="settings-data-dir" data-testid="data-dir">
        <span className="settings-data-dir__label">Data directory</span>
        <span className="settings-data-dir__path mono">{dataDir}</span>
      </p>
      <SettingsForm />
      <CredentialsSection />
    </Dialog>
  );
}
