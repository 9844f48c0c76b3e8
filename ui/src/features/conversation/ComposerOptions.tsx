import type { Route } from '../../platform';
import type { Recipient } from './recipients';
import { RecipientSelect } from './RecipientSelect';
import { RouteSelect } from './RouteSelect';

interface Props {
  idPrefix: string;
  recipients: Recipient[];
  to: string | null;
  via: Route;
  ecmAvailable: boolean;
  onTo: (to: string) => void;
  onVia: (via: Route) => void;
}

/** Which of the patient's numbers the text goes to, and over which server. */
export function ComposerOptions({ idPrefix, recipients, to, via, ecmAvailable, onTo, onVia }: Props) {
  return (
    <div className="composer__options">
      <div className="composer__field composer__field--to">
        <label className="composer__label" htmlFor={`${idPrefix}-to`}>
          To
        </label>
        <RecipientSelect id={`${idPrefix}-to`} recipients={recipients} value={to} onChange={onTo} />
      </div>
      <div className="composer__field">
        <label className="composer__label" htmlFor={`${idPrefix}-route`}>
          Via
        </label>
        <RouteSelect id={`${idPrefix}-route`} value={via} ecmAvailable={ecmAvailable} onChange={onVia} />
      </div>
    </div>
  );
}
