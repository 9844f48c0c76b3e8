import type { Patient, Route } from '../../platform';
import { formatPhone } from '../patients/phones';
import type { ComposerChoice } from './composerChoice';
import { ownerWords, ROUTE_WORDS } from './recipients';
import { RecipientSelect } from './RecipientSelect';
import { RouteSelect } from './RouteSelect';

interface Props {
  idPrefix: string;
  patient: Patient;
  choice: ComposerChoice;
  ecmAvailable: boolean;
  /** A number chosen; the default's number puts the thread back on the default. */
  onTo: (to: string) => void;
  /** A route chosen; the default route puts the thread back on the default. */
  onVia: (via: Route) => void;
}

/** "changed" beside a select that differs from the patient's default, and Reset to go back. */
function Changed({ what, back, onReset }: { what: string; back: string; onReset: () => void }) {
  return (
    <span className="composer__changed" data-testid={`${what}-changed`}>
      <span className="badge badge--warning" title={`Changed in this thread; the default is ${back}`}>
        changed
      </span>
      <button
        type="button"
        className="button button--ghost composer__reset"
        aria-label={`Reset ${what} to ${back}`}
        onClick={onReset}
      >
        Reset
      </button>
    </span>
  );
}

/** Which of the patient's numbers the text goes to, and over which server; changes from the defaults are marked. */
export function ComposerOptions({ idPrefix, patient, choice, ecmAvailable, onTo, onVia }: Props) {
  const fallback = choice.defaultRecipient;
  const defaultTo = fallback
    ? `${ownerWords(patient, fallback.number) ?? 'their number'}, ${formatPhone(fallback.number)}`
    : '';
  return (
    <div className="composer__options">
      <div className="composer__field composer__field--to">
        <label className="composer__label" htmlFor={`${idPrefix}-to`}>
          To
        </label>
        <RecipientSelect
          id={`${idPrefix}-to`}
          recipients={choice.recipients}
          value={choice.recipient?.number ?? null}
          onChange={onTo}
        />
        {choice.toChanged && fallback ? <Changed what="To" back={defaultTo} onReset={() => onTo(fallback.number)} /> : null}
      </div>
      <div className="composer__field">
        <label className="composer__label" htmlFor={`${idPrefix}-route`}>
          Via
        </label>
        <RouteSelect id={`${idPrefix}-route`} value={choice.via} ecmAvailable={ecmAvailable} onChange={onVia} />
        {choice.viaChanged ? (
          <Changed what="Via" back={ROUTE_WORDS[choice.defaultVia]} onReset={() => onVia(choice.defaultVia)} />
        ) : null}
      </div>
    </div>
  );
}
