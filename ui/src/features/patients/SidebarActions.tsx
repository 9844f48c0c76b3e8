import { GearIcon, ImportIcon } from '../../shared/icons';
import { useLockNow } from '../lock/lockContext';

interface Props {
  onOpenImport: () => void;
  onOpenActivity: () => void;
  onOpenSettings: () => void;
}

/** Import, the activity log and settings, under the search box. */
export function SidebarActions({ onOpenImport, onOpenActivity, onOpenSettings }: Props) {
  const lockNow = useLockNow();
  return (
    <div className="sidebar__actions">
      <button type="button" className="button" onClick={onOpenImport}>
        <ImportIcon />
        Import
      </button>
      <span className="sidebar__actions-end">
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
