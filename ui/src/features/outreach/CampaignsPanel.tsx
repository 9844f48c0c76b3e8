import { useState } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { CampaignCard } from './CampaignCard';
import { useCampaigns } from './campaignQueries';
import { NewCampaign } from './NewCampaign';

/** Campaigns: a new one (previewed before it starts), and every campaign with its progress and report. */
export function CampaignsPanel() {
  const campaigns = useCampaigns();
  const [creating, setCreating] = useState(false);
  const list = campaigns.data ?? [];
  return (
    <div className="templates-panel" data-testid="campaigns-panel">
      {creating ? (
        <NewCampaign onDone={() => setCreating(false)} />
      ) : (
        <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
          New campaign
        </button>
      )}
      <ErrorMessage error={campaigns.error} context="Could not load the campaigns" />
      {campaigns.data && list.length === 0 ? (
        <p className="muted">No campaigns yet. A campaign sends one template to many patients, at the send rate and inside quiet hours, each once.</p>
      ) : null}
      <ul className="template-list">
        {list.map((c) => (
          <CampaignCard key={c.id} campaign={c} />
        ))}
      </ul>
    </div>
  );
}
