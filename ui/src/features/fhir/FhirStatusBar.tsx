import { useFhirConfigured, useFhirStatus } from './queries';
import { pullingWords, writeQueueWords } from './FhirLinkState';

/**
 * The status bar's FHIR part: "FHIR: pulling patients: page 3…", "FHIR up to date",
 * "FHIR: 2 writes waiting · 1 failed", or the last pull's error. Nothing without a FHIR server.
 */
export function FhirStatusBar() {
  const configured = useFhirConfigured();
  const view = useFhirStatus(configured).data;
  if (!configured || !view) return null;
  const pulling = pullingWords(view);
  const writes = writeQueueWords(view);
  const failed = view.last_error != null || view.status.write_queue.failed > 0;
  const words = pulling ?? (view.last_error ? 'FHIR pull failed' : writes ? `FHIR: ${writes}` : 'FHIR up to date');
  return (
    <span
      className={failed ? 'fhir-status fhir-status--problem' : 'fhir-status'}
      data-testid="fhir-status"
      title={view.last_error ?? view.status.write_queue.failures[0] ?? undefined}
    >
      {pulling ? `FHIR: ${words}` : words}
    </span>
  );
}
