import type { AppInfo } from '../platform';
import { useSyncStatus, useSyncStatusEvents } from '../features/sync/queries';
import { FhirStatusBar } from '../features/fhir/FhirStatusBar';
import { TeamStatus } from '../features/team/TeamStatus';
import { plural } from '../shared/plural';
import { StatusBarSync, StatusBarSyncProblem } from './StatusBarSync';
import { StatusBarTestMode } from './StatusBarTestMode';
import { StatusBarWarnings } from './StatusBarWarnings';
import './StatusBar.css';

interface Props {
  info: AppInfo;
  /** Opens the Settings dialog (a paused route offers it); no button when not given. */
  onOpenSettings?: (() => void) | undefined;
}

/** Only rendered once app_info has answered (see App); startup failures have their own screen. */
export function StatusBar({ info, onOpenSettings }: Props) {
  useSyncStatusEvents();
  const sync = useSyncStatus().data;
  const mode = sync?.mode ?? info.mode;

  return (
    <footer className="status-bar status-bar--stacked" data-testid="status-bar" role="status">
      <StatusBarTestMode testMode={sync?.test_mode ?? false} overrideNumber={sync?.override_number ?? null} />
      <div className="status-bar__row">
        <span className={mode === 'sandbox' ? 'status-bar__mode status-bar__mode--sandbox' : 'status-bar__mode'}>
          {mode === 'sandbox' ? 'Sandbox' : 'Real servers'}
        </span>
        <StatusBarSync />
        <TeamStatus team={sync?.team} />
        <FhirStatusBar />
        <span className="status-bar__spacer" />
        <span>{plural(info.patient_count, 'patient')}</span>
        <span>{info.user_name}</span>
        <span>CareDesk v{info.version}</span>
      </div>
      <StatusBarSyncProblem />
      <StatusBarWarnings onOpenSettings={onOpenSettings} />
    </footer>
  );
}
