import { useCallback, useRef, useState } from 'react';
import { ActivityLogDialog } from '../features/activity/ActivityLogDialog';
import { useAppInfo } from '../features/app-info/queries';
import { ConversationPane } from '../features/conversation/ConversationPane';
import { createDraftStore } from '../features/conversation/draftStore';
import { createUnconfiguredRoutes } from '../features/conversation/unconfiguredRoutes';
import { ImportDialog } from '../features/import/ImportDialog';
import { OutreachDialog } from '../features/outreach/OutreachDialog';
import { PatientDialog } from '../features/people/PatientDialog';
import { EditPatientContext } from '../features/people/patientDialogContext';
import { PatientSidebar } from '../features/patients/PatientSidebar';
import { SettingsDialog } from '../features/settings/SettingsDialog';
import { UnmatchedPane } from '../features/unmatched/UnmatchedPane';
import type { AppInfo, Patient } from '../platform';
import { DeskLock } from './DeskLock';
import { SandboxBanner } from './SandboxBanner';
import { StartupError, StartupPending } from './StartupScreen';
import { StatusBar } from './StatusBar';
import { useDeskView } from './useDeskView';
import { usePresenceEvents } from './usePresenceEvents';
import { useSearchShortcut } from './useSearchShortcut';
import { useSyncRefresh } from './useSyncRefresh';
import './app.css';

type OpenDialog = 'import' | 'settings' | 'activity' | 'outreach' | { patient: Patient | null } | null;

/**
 * app_info is the startup probe: until it has answered once, none of the shell renders
 * (and so no other command is called). Then DeskLock shows the shell only while unlocked. If it fails, the backend could not open its
 * store and the whole window explains why. A later failed refetch keeps the shell.
 */
export function App() {
  const info = useAppInfo();
  // A refetch of a query that has no data puts it back to "pending" and clears its error,
  // so keep the last startup error on screen while Try again runs instead of flashing away.
  const [lastError, setLastError] = useState<Error | null>(null);
  if (info.error && info.error !== lastError) setLastError(info.error);

  if (info.data) {
    return (
      <DeskLock>
        <Shell info={info.data} />
      </DeskLock>
    );
  }
  const error = info.error ?? lastError;
  if (error) {
    return <StartupError error={error} retrying={info.isFetching} onRetry={() => void info.refetch()} />;
  }
  return <StartupPending />;
}

function Shell({ info }: { info: AppInfo }) {
  const searchRef = useRef<HTMLInputElement>(null);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  // Drafts and known route problems outlive switching threads and visiting the Unmatched inbox.
  const [drafts] = useState(createDraftStore);
  const [unconfigured] = useState(createUnconfiguredRoutes);
  const { view, openPatient, openUnmatched, refreshPatient } = useDeskView();
  useSearchShortcut(searchRef);
  useSyncRefresh();
  usePresenceEvents();

  function closeSettings() {
    setDialog(null);
    // Settings may have set up a route the backend refused before.
    unconfigured.clear();
  }

  const editPatient = useCallback((patient: Patient) => setDialog({ patient }), []);

  function patientSaved(patient: Patient, adding: boolean) {
    setDialog(null);
    if (adding) openPatient(patient);
    else refreshPatient(patient);
  }

  return (
    <EditPatientContext.Provider value={editPatient}>
      <div className="shell">
        {info.mode === 'sandbox' ? <SandboxBanner behaviours={info.sandbox_behaviours} /> : null}
        <PatientSidebar
          searchRef={searchRef}
          selectedId={view.kind === 'patient' ? view.patient.id : null}
          unmatchedOpen={view.kind === 'unmatched'}
          onOpenPatient={openPatient}
          onOpenUnmatched={() => openUnmatched()}
          onSelectedReloaded={refreshPatient}
          onOpenImport={() => setDialog('import')}
          onAddPatient={() => setDialog({ patient: null })}
          onOpenActivity={() => setDialog('activity')}
          onOpenOutreach={() => setDialog('outreach')}
          onOpenSettings={() => setDialog('settings')}
        />
        {view.kind === 'unmatched' ? (
          <UnmatchedPane number={view.number} onOpenNumber={openUnmatched} onLinked={openPatient} />
        ) : (
          <ConversationPane
            patient={view.kind === 'patient' ? view.patient : null}
            drafts={drafts}
            unconfigured={unconfigured}
          />
        )}
        <StatusBar info={info} onOpenSettings={() => setDialog('settings')} />
        {dialog === 'import' ? <ImportDialog onClose={() => setDialog(null)} /> : null}
        {dialog === 'settings' ? <SettingsDialog dataDir={info.data_dir} onClose={closeSettings} /> : null}
        {dialog === 'activity' ? <ActivityLogDialog onClose={() => setDialog(null)} /> : null}
        {dialog === 'outreach' ? <OutreachDialog onClose={() => setDialog(null)} /> : null}
        {typeof dialog === 'object' && dialog !== null ? (
          <PatientDialog
            patient={dialog.patient}
            onClose={() => setDialog(null)}
            onSaved={(patient) => patientSaved(patient, dialog.patient === null)}
          />
        ) : null}
      </div>
    </EditPatientContext.Provider>
  );
}
