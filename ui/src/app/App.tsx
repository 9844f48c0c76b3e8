import { useRef, useState } from 'react';
import { useAppInfo } from '../features/app-info/queries';
import { ConversationPane } from '../features/conversation/ConversationPane';
import { ImportDialog } from '../features/import/ImportDialog';
import { PatientSidebar } from '../features/patients/PatientSidebar';
import { SettingsDialog } from '../features/settings/SettingsDialog';
import type { AppInfo, Patient } from '../platform';
import { SandboxBanner } from './SandboxBanner';
import { StartupError, StartupPending } from './StartupScreen';
import { StatusBar } from './StatusBar';
import { useSearchShortcut } from './useSearchShortcut';
import './app.css';

type OpenDialog = 'import' | 'settings' | null;

/**
 * app_info is the startup probe: until it has answered once, none of the shell renders
 * (and so no other command is called). If it fails, the backend could not open its
 * store and the whole window explains why. A later failed refetch keeps the shell.
 */
export function App() {
  const info = useAppInfo();
  // A refetch of a query that has no data puts it back to "pending" and clears its error,
  // so keep the last startup error on screen while Try again runs instead of flashing away.
  const [lastError, setLastError] = useState<Error | null>(null);
  if (info.error && info.error !== lastError) setLastError(info.error);

  if (info.data) return <Shell info={info.data} />;
  const error = info.error ?? lastError;
  if (error) {
    return <StartupError error={error} retrying={info.isFetching} onRetry={() => void info.refetch()} />;
  }
  return <StartupPending />;
}

function Shell({ info }: { info: AppInfo }) {
  const searchRef = useRef<HTMLInputElement>(null);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [selected, setSelected] = useState<Patient | null>(null);
  useSearchShortcut(searchRef);

  return (
    <div className="shell">
      {info.mode === 'sandbox' ? <SandboxBanner /> : null}
      <PatientSidebar
        searchRef={searchRef}
        selectedId={selected?.id ?? null}
        onSelect={setSelected}
        onSelectedReloaded={setSelected}
        onOpenImport={() => setDialog('import')}
        onOpenSettings={() => setDialog('settings')}
      />
      <ConversationPane patient={selected} />
      <StatusBar info={info} />
      {dialog === 'import' ? <ImportDialog onClose={() => setDialog(null)} /> : null}
      {dialog === 'settings' ? <SettingsDialog dataDir={info.data_dir} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
