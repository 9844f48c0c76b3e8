import { useRef, useState } from 'react';
import { useAppInfo } from '../features/app-info/queries';
import { ConversationPane } from '../features/conversation/ConversationPane';
import { ImportDialog } from '../features/import/ImportDialog';
import { PatientSidebar } from '../features/patients/PatientSidebar';
import { SettingsDialog } from '../features/settings/SettingsDialog';
import type { Patient } from '../platform';
import { SandboxBanner } from './SandboxBanner';
import { StatusBar } from './StatusBar';
import { useSearchShortcut } from './useSearchShortcut';
import './app.css';

type OpenDialog = 'import' | 'settings' | null;

export function App() {
  const searchRef = useRef<HTMLInputElement>(null);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [selected, setSelected] = useState<Patient | null>(null);
  const info = useAppInfo();
  useSearchShortcut(searchRef);

  return (
    <div className="shell">
      {info.data?.mode === 'sandbox' ? <SandboxBanner /> : null}
      <PatientSidebar
        searchRef={searchRef}
        selectedId={selected?.id ?? null}
        onSelect={setSelected}
        onSelectedReloaded={setSelected}
        onOpenImport={() => setDialog('import')}
        onOpenSettings={() => setDialog('settings')}
      />
      <ConversationPane patient={selected} />
      <StatusBar />
      {dialog === 'import' ? <ImportDialog onClose={() => setDialog(null)} /> : null}
      {dialog === 'settings' ? <SettingsDialog onClose={() => setDialog(null)} /> : null}
    </div>
  );
}

