import type { Route } from '../../platform';
import { ROUTE_NAMES } from './states';

interface Props {
  id: string;
  value: Route;
  ecmAvailable: boolean;
  onChange: (route: Route) => void;
}

const NO_ECM_HINT = 'ECM needs an ECM id; this patient has none.';

/** Which server sends the text. ECM is only possible for patients with an ECM id. */
export function RouteSelect({ id, value, ecmAvailable, onChange }: Props) {
  return (
    <>
      <select
        id={id}
        className="input composer__select composer__select--route"
        aria-label="Route"
        value={value}
        onChange={(e) => onChange(e.target.value as Route)}
      >
        <option value="his">{ROUTE_NAMES.his}</option>
        <option value="ecm" disabled={!ecmAvailable} title={ecmAvailable ? undefined : NO_ECM_HINT}>
          {ROUTE_NAMES.ecm}
        </option>
      </select>
      {ecmAvailable ? null : <span className="composer__hint">{NO_ECM_HINT}</span>}
    </>
  );
}
