import './consent.css';
import { formatPhone } from '../patients/phones';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { usePendingRevocations, useResolveRevocation } from './queries';

/**
 * Replies the engine flagged as possible revocations of consent, waiting for staff, oldest
 * first with the FCC's due date (ten business days). Opt out, or Not a revocation; campaigns
 * skip the number until then.
 */
export function RevocationReview() {
  const list = usePendingRevocations();
  const resolve = useResolveRevocation();
  const rows = list.data ?? [];
  return (
    <div className="revocation-review" data-testid="revocation-review">
      <p className="field__help">
        Replies that read like &ldquo;stop texting me&rdquo; without the STOP keyword. Honour a revocation within ten
        business days; campaigns skip these numbers until you decide.
      </p>
      <ErrorMessage error={list.error} context="Could not load the replies to review" />
      <ErrorMessage error={resolve.error} context="Could not record the decision" />
      {list.data && rows.length === 0 ? <p className="muted">No replies wait for review.</p> : null}
      <ul className="revocation-list">
        {rows.map((r) => (
          <li key={r.message_id} className="revocation-row" data-testid="revocation-row">
            <div className="revocation-row__head">
              <strong>{r.patient_name ?? 'Unmatched number'}</strong>
              <span className="mono">{formatPhone(r.number)}</span>
              <span className="badge badge--warning">Due {r.due}</span>
            </div>
            <p className="revocation-row__text">{r.text}</p>
            <div className="revocation-row__actions">
              <button
                type="button"
                className="button button--danger"
                disabled={resolve.isPending}
                onClick={() => resolve.mutate({ messageId: r.message_id, resolution: 'opted_out' })}
              >
                Opt out
              </button>
              <button
                type="button"
                className="button"
                disabled={resolve.isPending}
                onClick={() => resolve.mutate({ messageId: r.message_id, resolution: 'not_revocation' })}
              >
                Not a revocation
              </button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
