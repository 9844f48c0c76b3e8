import type { FhirView } from '../../platform';
import { plural } from '../../shared/plural';
import { formatAgo, parseInstant } from '../sync/time';

/** "Pulling Patients: page 3, 12 new" while a pull runs. */
export function pullingWords(view: FhirView): string | null {
  const p = view.pulling;
  if (!p) return null;
  const type = p.resource_type === 'RelatedPerson' ? 'related persons' : 'patients';
  return `Pulling ${type}: page ${p.pages}, ${p.patients_new} new, ${p.patients_updated} updated`;
}

/** The write-back queue in words: "3 writes waiting (1 retrying) · 1 failed", or null when nothing waits. */
export function writeQueueWords(view: FhirView): string | null {
  const q = view.status.write_queue;
  const parts = [];
  if (q.pending > 0) parts.push(`${plural(q.pending, 'write')} waiting${q.retrying > 0 ? ` (${q.retrying} retrying)` : ''}`);
  if (q.failed > 0) parts.push(`${q.failed} failed`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** Settings' view of the link: the last pull and what it did, the roster, the write queue, the last error. */
export function FhirLinkState({ view, now }: { view: FhirView; now: Date }) {
  const s = view.status;
  const last = parseInstant(s.last_pull_at);
  const pulling = pullingWords(view);
  const q = s.write_queue;
  return (
    <div className="fhir-state" data-testid="fhir-state" aria-live="polite">
      {pulling ? <p className="fhir-state__pulling">{pulling}</p> : null}
      <p>
        {last ? `Last pull ${formatAgo(last, now)}` : 'Not pulled yet'}
        {s.last_report ? `: ${s.last_report.pages} page(s), ${s.last_report.resources} resource(s)` : ''}
      </p>
      <p data-testid="fhir-roster">
        Roster from the server: {plural(s.roster.active, 'patient')} active, {s.roster.inactive} inactive,{' '}
        {s.roster.deleted} deleted, {plural(s.roster.current_numbers, 'number')}
        {s.roster.without_numbers > 0 ? ` (${s.roster.without_numbers} without a number to text)` : ''}
      </p>
      <p data-testid="fhir-writes">
        Recorded on the server: {plural(q.written, 'text and call', 'texts and calls')}
        {writeQueueWords(view) ? ` · ${writeQueueWords(view)}` : ' · nothing waiting'}
        {q.skipped > 0 ? ` · ${q.skipped} not for the server` : ''}
        {q.note ? <span className="muted"> ({q.note})</span> : null}
      </p>
      {q.failures.length > 0 ? (
        <ul className="fhir-state__failures" data-testid="fhir-write-failures">
          {q.failures.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      ) : null}
      {s.last_report && s.last_report.problems_total > 0 ? (
        <details className="fhir-state__problems">
          <summary>{plural(s.last_report.problems_total, 'resource')} could not be read in the last pull</summary>
          <ul>
            {s.last_report.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </details>
      ) : null}
      {view.last_error ? (
        <p className="check-result check-result--failed" role="alert">
          Last pull failed: {view.last_error}
        </p>
      ) : null}
    </div>
  );
}
