import type { SyncEvent } from '../../platform';

export const fhirKeys = {
  status: ['fhir-status'] as const,
};

/** The engine's FHIR events (a pull's pages, its end, its failure, the write-back's progress). */
export function isFhirEvent(event: SyncEvent): boolean {
  return event.kind.startsWith('fhir_');
}
