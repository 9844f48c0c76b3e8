import { Dialog } from '../../shared/Dialog';
import { CredentialsSection } from './CredentialsSection';
import { SettingsForm } from './SettingsForm';
import './settings.css';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Settings" onClose={onClose} className="dialog--wide">
      <SettingsForm />
      <CredentialsSection />
    </Dialog>
  );
}
