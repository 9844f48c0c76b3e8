import './consent.css';
import { useState } from 'react';
import { errorMessage, type NumberConsent } from '../../platform';
import { useInvite } from './queries';

const DAY = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

function day(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : ` ${DAY.format(d)}`;
}

/** "Opted in 3 Dec", "Invited 5 Dec", "Not asked", with the tone of each. */
export function consentWords(c: NumberConsent): { text: string; tone: 'ok' | 'pending' | 'warning' | 'neutral' } {
  switch (c.state) {
    case 'opted_in':
      return { text: `Opted in${day(c.since)}`, tone: 'ok' };
    case 'opted_out':
      return { text: `Opted out${day(c.since)}`, tone: 'warning' };
    case 'invited':
      return { text: `Invited${day(c.invited_at)}, no answer yet`, tone: 'pending' };
    case 'not_asked':
      return { text: 'Consent not asked', tone: 'neutral' };
  }
}

/**
 * One number's consent beside it in the header: its state with dates, a revocation waiting
 * for review with its due date, and Invite for a number not opted in or out.
 */
export function ConsentMark({ patientId, consent }: { patientId: number; consent: NumberConsent }) {
  const invite = useInvite(patientId);
  const [sent, setSent] = useState(false);
  const words = consentWords(consent);
  const canInvite = consent.state === 'not_asked' || consent.state === 'invited';
  return (
    <span className="consent-mark" data-testid="consent-mark" data-state={consent.state}>
      <span className={`badge badge--${words.tone}`}>{words.text}</span>
      {consent.revocation ? (
        <span className="badge badge--warning" title={consent.revocation.text}>
          Possible revocation: review by {consent.revocation.due}
        </span>
      ) : null}
      {canInvite ? (
        <button
          type="button"
          className="button button--link"
          disabled={invite.isPending}
          onClick={() => invite.mutate(consent.number, { onSuccess: () => setSent(true) })}
        >
          {consent.state === 'invited' ? 'Invite again' : 'Invite'}
        </button>
      ) : null}
      {sent && consent.state === 'invited' && !invite.isPending && !invite.error ? (
        <span className="muted">Invitation queued</span>
      ) : null}
      {invite.error ? (
        <span className="error-message" role="alert">
          Could not invite: {errorMessage(invite.error)}
        </span>
      ) : null}
    </span>
  );
}
