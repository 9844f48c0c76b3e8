import { useState } from 'react';
import { errorMessage, type CampaignAction, type CampaignStatus } from '../../platform';
import { ProgressBar } from '../../shared/ProgressBar';
import { CampaignReport } from './CampaignReport';
import { useCampaignAction } from './campaignQueries';
import { doneCount, etaWords, skippedSummary, stateWords } from './campaignWords';

/** The actions a campaign in this state offers (none for a colleague's: it runs on their desk). */
function actionsFor(c: CampaignStatus): { action: CampaignAction; label: string }[] {
  if (c.runs_on !== null) {
    return [];
  }
  switch (c.state) {
    case 'draft':
      return [
        { action: 'start', label: 'Start' },
        { action: 'cancel', label: 'Discard' },
      ];
    case 'scheduled':
    case 'running':
      return [
        { action: 'pause', label: 'Pause' },
        { action: 'cancel', label: 'Cancel' },
      ];
    case 'paused':
      return [
        { action: 'resume', label: 'Resume' },
        { action: 'cancel', label: 'Cancel' },
      ];
    default:
      return [];
  }
}

/**
 * One campaign: its state, a progress bar (recipients done of the total) with the ETA,
 * what was sent, delivered, failed, skipped (with reasons) and answered; Start, Pause,
 * Resume, Cancel; and its report.
 */
export function CampaignCard({ campaign: c }: { campaign: CampaignStatus }) {
  const act = useCampaignAction();
  const [showReport, setShowReport] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const eta = etaWords(c.eta_secs);
  const answers = Object.entries(c.answers);
  const skipped = skippedSummary(c);

  function run(action: CampaignAction) {
    if (action === 'cancel' && c.state !== 'draft' && !confirmCancel) {
      setConfirmCancel(true);
      return;
    }
    setConfirmCancel(false);
    act.mutate({ id: c.id, action });
  }

  return (
    <li className="campaign-card" data-testid="campaign-card" data-state={c.state}>
      <div className="campaign-card__head">
        <strong className="campaign-card__name">{c.name}</strong>
        <span className={`badge campaign-state campaign-state--${c.state}`} data-testid="campaign-state">
          {stateWords(c.state)}
        </span>
        {c.runs_on !== null ? (
          <span className="badge" data-testid="campaign-runs-on">
            Runs on {c.runs_on}&apos;s desk
          </span>
        ) : null}
        <span className="campaign-card__actions">
          {actionsFor(c).map(({ action, label }) => (
            <button
              key={action}
              type="button"
              className={action === 'start' || action === 'resume' ? 'button button--primary' : 'button'}
              disabled={act.isPending}
              onClick={() => run(action)}
            >
              {confirmCancel && action === 'cancel' ? 'Cancel the rest?' : label}
            </button>
          ))}
        </span>
      </div>
      {c.state !== 'draft' ? (
        <ProgressBar label={`Progress of ${c.name}`} value={doneCount(c)} max={c.total} />
      ) : null}
      <p className="campaign-card__counts" data-testid="campaign-counts">
        {doneCount(c)} of {c.total} done · {c.sent} sent ({c.delivered} delivered) · {c.failed} failed ·{' '}
        {c.skipped.length} skipped · {c.pending} to go
        {eta && c.pending > 0 && c.state === 'running' ? ` · ${eta} left` : ''}
      </p>
      {skipped ? <p className="muted campaign-card__skipped">Skipped: {skipped}</p> : null}
      {answers.length > 0 || c.replied > 0 ? (
        <p className="campaign-card__answers" data-testid="campaign-answers">
          {answers.map(([answer, n]) => `${n} ${answer}`).join(' · ')}
          {answers.length > 0 ? ' · ' : ''}
          {c.replied} replied
        </p>
      ) : null}
      {act.error ? (
        <p className="error-message" role="alert">
          {errorMessage(act.error)}
        </p>
      ) : null}
      {c.runs_on === null ? (
        <button type="button" className="button button--ghost" onClick={() => setShowReport((v) => !v)}>
          {showReport ? 'Hide the report' : 'Report'}
        </button>
      ) : null}
      {showReport && c.runs_on === null ? <CampaignReport id={c.id} /> : null}
    </li>
  );
}
