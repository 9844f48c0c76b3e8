import type { CallOutcome, Route, SmsOutcome } from '../../platform';

/** How a state reads at a glance: in flight, done, needs attention, or plain. */
export type StateTone = 'pending' | 'ok' | 'problem' | 'neutral';

export interface StateWords {
  text: string;
  tone: StateTone;
}

function humanize(state: string): string {
  const words = state.replace(/[-_]+/g, ' ').trim();
  return words === '' ? 'Unknown' : words[0]!.toUpperCase() + words.slice(1);
}

function withError(label: string, error: string | null): string {
  return error ? `${label}: ${error}` : label;
}

const SMS_STATES: Record<string, StateWords> = {
  accepted: { text: 'Sending…', tone: 'pending' },
  sending: { text: 'Sending…', tone: 'pending' },
  scheduled: { text: 'Scheduled', tone: 'pending' },
  queued: { text: 'Queued', tone: 'pending' },
  sent: { text: 'Sent', tone: 'ok' },
  delivered: { text: 'Delivered', tone: 'ok' },
  read: { text: 'Read', tone: 'ok' },
  receiving: { text: 'Receiving…', tone: 'pending' },
  received: { text: 'Received', tone: 'neutral' },
  canceled: { text: 'Canceled', tone: 'neutral' },
};

/** An SMS state in words, with the server's error where it explains a problem. */
export function smsStateWords(state: string, error: string | null): StateWords {
  switch (state) {
    case 'failed':
      return { text: withError('Failed', error), tone: 'problem' };
    case 'undelivered':
      return { text: withError('Not delivered', error), tone: 'problem' };
    case 'uncertain':
      return { text: withError('May have been sent', error), tone: 'problem' };
    default:
      return SMS_STATES[state] ?? { text: withError(humanize(state), error), tone: 'neutral' };
  }
}

// ECM answers a call request with Twilio's first status; later ones go to ECM's webhooks,
// which CareDesk does not see. "queued" is therefore the last word CareDesk normally has.
const CALL_STATES: Record<string, StateWords> = {
  initiating: { text: 'Calling…', tone: 'pending' },
  queued: { text: 'Placed through ECM (queued at Twilio)', tone: 'ok' },
  ringing: { text: 'Ringing', tone: 'pending' },
  'in-progress': { text: 'In progress', tone: 'pending' },
  completed: { text: 'Completed', tone: 'ok' },
  busy: { text: 'Busy', tone: 'problem' },
  'no-answer': { text: 'No answer', tone: 'problem' },
  canceled: { text: 'Canceled', tone: 'neutral' },
};

/**
 * An outbound call in words: "Calling…" while ECM is asked, then "Call placed: ECM call 77,
 * queued" with what ECM answered (its call id and status, the last word CareDesk gets), or
 * "Call failed: <reason>".
 */
export function placedCallWords(status: string, error: string | null, ecmCallId: string | null): StateWords {
  if (status === 'initiating') return { text: 'Calling…', tone: 'pending' };
  if (status === 'failed') return { text: withError('Call failed', error), tone: 'problem' };
  const answer = [ecmCallId ? `ECM call ${ecmCallId}` : null, status].filter(Boolean).join(', ');
  const tone = CALL_STATES[status]?.tone === 'problem' ? 'problem' : 'ok';
  return { text: `Call placed: ${answer}`, tone };
}

/** A call status in words. */
export function callStateWords(status: string, error: string | null): StateWords {
  if (status === 'failed') return { text: withError('Failed', error), tone: 'problem' };
  return CALL_STATES[status] ?? { text: withError(humanize(status), error), tone: 'neutral' };
}

export const ROUTE_NAMES: Record<Route, string> = {
  his: 'Hospital SMS server',
  ecm: 'ECM',
};

/** The small route note under a text. */
export function routeLabel(route: Route): string {
  return route === 'ecm' ? 'SMS · ECM' : 'SMS · hospital server';
}

/** What to tell the user when send_sms resolved but the text did not (surely) go out. */
export function smsOutcomeProblem(outcome: SmsOutcome): string | null {
  if (outcome.state === 'failed') {
    return `Not sent: ${outcome.error ?? 'the server refused the message.'}`;
  }
  if (outcome.state === 'uncertain') {
    return `The message may have been sent: ${outcome.error ?? 'the server did not answer.'} Check the thread before sending it again.`;
  }
  return null;
}

/** What to tell the user when place_call resolved with a refusal. */
export function callOutcomeProblem(outcome: CallOutcome): string | null {
  if (outcome.status !== 'failed') return null;
  // The thread's call row says it too ("Call failed: …"); the alert keeps it in view.
  return `Call failed: ${outcome.error ?? 'the server refused the call.'}`;
}
