import { AddPersonIcon, GearIcon, ImportIcon } from '../../shared/icons';
import { useLockNow } from '../lock/lockContext';

interface Props {
  onOpenImport: () => void;
  onAddPatient: () => void;
  onOpenActivity: () => void;
  onOpenOutreach: () => void;
  onOpenSettings: () => void;
}

/** Import, adding a patient, outreach (templates, campaigns), the activity log and settings, under the search box. */
export function SidebarActions({ onOpenImport, onAddPatient, onOpenActivity, onOpenOutreach, onOpenSettings }: Props) {
  const lockNow = useLockNow();
  return (
    <div className="sidebar__actions">
      <span className="sidebar__actions-start">
        <button type="button" className="button" onClick={onOpenImport}>
          <ImportIcon />
          Import
        </button>
        <button type="button" className="button" onClick={onAddPatient}>
          <AddPersonIcon />
          Add patient
        </button>
      </span>
      <span className="sidebar__actions-end">
        <button type="button" className="button" onClick={onOpenOutreach}>
          Outreach
        </button>
        <button type="button" className="button" onClick={onOpenActivity}>
          Activity log
        </button>
        <button type="button" className="button" title="Lock CareDesk (Ctrl+L)" onClick={lockNow} data-testid="lock-now">
          Lock
        </button>
        <button type="button" className="button button--icon" aria-label="Settings" onClick={onOpenSettings}>
          <GearIcon />
        </button>
      </span>
    </div>
  );
}
