import type { FhirNeed, FhirServerCheck, FhirSupport } from '../../platform';

const SUPPORT_WORDS: Record<FhirSupport, string> = {
  yes: 'supported',
  no: 'not supported',
  not_stated: 'not stated',
};

const PART_WORDS: Record<FhirNeed['part'], string> = {
  roster: 'Roster (required)',
  roster_optional: 'Roster (optional)',
  write_back: 'Recording texts and calls',
};

/** Whether the roster can be pulled: no need of the pull is answered "no". */
export function rosterOk(check: FhirServerCheck): boolean {
  return !check.needs.some((n) => n.part === 'roster' && n.supported === 'no');
}

/** What "Check connection" found: the server, and each interaction CareDesk needs with its support. */
export function FhirCheckResult({ check }: { check: FhirServerCheck }) {
  const ok = rosterOk(check);
  const server = [check.software, check.fhir_version && `FHIR ${check.fhir_version}`].filter(Boolean).join(', ');
  return (
    <div className="fhir-check" data-testid="fhir-check">
      <p className={ok ? 'check-result check-result--ok' : 'check-result check-result--failed'}>
        <strong>{ok ? 'Connection OK' : 'The roster cannot be pulled'}:</strong> {server || 'a FHIR server'}
        {check.patients_total !== null ? `, ${check.patients_total} patients` : ''}
      </p>
      <table className="fhir-check__needs">
        <caption className="visually-hidden">What CareDesk needs of the FHIR server</caption>
        <thead>
          <tr>
            <th scope="col">Interaction</th>
            <th scope="col">For</th>
            <th scope="col">Server</th>
          </tr>
        </thead>
        <tbody>
          {check.needs.map((need) => (
            <tr key={`${need.part}:${need.what}`} className={`fhir-need fhir-need--${need.supported}`}>
              <td>{need.what}</td>
              <td>{PART_WORDS[need.part]}</td>
              <td>{SUPPORT_WORDS[need.supported]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {check.notes.length > 0 ? (
        <ul className="fhir-check__notes">
          {check.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
