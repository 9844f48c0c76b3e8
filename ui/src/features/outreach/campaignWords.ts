import type { CampaignCounts, CampaignState } from '../../platform';

const STATE_WORDS: Record<CampaignState, string> = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  running: 'Sending',
  paused: 'Paused',
  done: 'Done',
  cancelled: 'Cancelled',
};

export function stateWords(state: CampaignState): string {
  return STATE_WORDS[state];
}

const SKIP_WORDS: Record<string, string> = {
  unknown_patient: 'no patient has the ECM id',
  duplicate: 'listed twice',
  no_number: 'no number to text',
  invalid_number: 'the number cannot be texted',
  patient_inactive: 'inactive on the FHIR server',
  missing_field: 'a merge field has no value',
  invalid_text: 'the merged text cannot be sent',
  opted_out: 'opted out',
  revocation_pending_review: 'a possible revocation waits for review',
  over_cap: 'over the frequency cap',
  cancelled: 'the campaign was cancelled',
};

/** A skip reason in words. */
export function skipWords(reason: string): string {
  return SKIP_WORDS[reason] ?? reason.replace(/_/g, ' ');
}

/** "5 opted out · 3 no number to text", most first. */
export function skippedSummary(counts: Pick<CampaignCounts, 'skipped'>): string {
  const by = new Map<string, number>();
  for (const s of counts.skipped) by.set(s.reason, (by.get(s.reason) ?? 0) + 1);
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${n} ${skipWords(reason)}`)
    .join(' · ');
}

/** "about 3 min" for an ETA in seconds. */
export function etaWords(secs: number | null): string | null {
  if (secs === null) return null;
  if (secs < 60) return `about ${Math.max(1, Math.round(secs))} s`;
  if (secs < 3600) return `about ${Math.round(secs / 60)} min`;
  const h = Math.floor(secs / 3600);
  const m = Math.round((secs % 3600) / 60);
  return `about ${h} h${m ? ` ${m} min` : ''}`;
}

/** Recipients done with (sent, failed or skipped) out of the total: the progress bar's value. */
export function doneCount(c: Pick<CampaignCounts, 'sent' | 'failed' | 'skipped'>): number {
  return c.sent + c.failed + c.skipped.length;
}
