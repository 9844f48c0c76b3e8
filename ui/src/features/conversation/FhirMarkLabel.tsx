import type { FhirMark } from '../../platform';

/** A text's or call's record on the clinic's FHIR server, in words: short, and why when it is not there. */
export function fhirMarkWords(mark: FhirMark): { text: string; title: string; tone: 'ok' | 'pending' | 'problem' | 'neutral' } {
  const why = mark.reason ?? '';
  switch (mark.state) {
    case 'recorded':
      return { text: 'Recorded in FHIR', title: mark.reference ?? 'Recorded on the FHIR server', tone: 'ok' };
    case 'pending':
      return { text: 'FHIR: not recorded yet', title: why || 'Waiting to be written to the FHIR server', tone: 'pending' };
    case 'failed':
      return { text: 'FHIR: refused', title: why || 'The FHIR server refused it', tone: 'problem' };
    case 'skipped':
      return { text: 'Not for FHIR', title: why || 'Nothing to record on the FHIR server', tone: 'neutral' };
    default:
      return { text: `FHIR: ${mark.state}`, title: why, tone: 'neutral' };
  }
}

/**
 * The small FHIR mark under a text or beside a call: "Recorded in FHIR" (the Communication's
 * reference as its title), or why not yet. Nothing when the item was never queued for FHIR.
 */
export function FhirMarkLabel({ mark }: { mark: FhirMark | null | undefined }) {
  if (!mark) return null;
  const w = fhirMarkWords(mark);
  return (
    <span className={`fhir-mark fhir-mark--${w.tone}`} data-testid="fhir-mark" data-state={mark.state} title={w.title}>
      {w.text}
      {mark.state === 'failed' && mark.reason ? `: ${mark.reason}` : ''}
    </span>
  );
}
