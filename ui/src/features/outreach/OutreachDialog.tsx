import { useState } from 'react';
import { Dialog } from '../../shared/Dialog';
import { RevocationReview } from '../consent/RevocationReview';
import { CampaignsPanel } from './CampaignsPanel';
import { TemplatesPanel } from './TemplatesPanel';
import './outreach.css';

type Tab = 'templates' | 'campaigns' | 'consent';

const TABS: { id: Tab; label: string }[] = [
  { id: 'templates', label: 'Templates' },
  { id: 'campaigns', label: 'Campaigns' },
  { id: 'consent', label: 'Consent review' },
];

/** Outreach: templates, campaigns, and the review of replies that may revoke consent. */
export function OutreachDialog({ onClose }: { onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('templates');
  return (
    <Dialog title="Outreach" onClose={onClose} className="dialog--wide">
      <div role="tablist" className="outreach-tabs" aria-label="Outreach">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            className={tab === t.id ? 'outreach-tab outreach-tab--current' : 'outreach-tab'}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'templates' ? <TemplatesPanel /> : null}
        {tab === 'campaigns' ? <CampaignsPanel /> : null}
        {tab === 'consent' ? <RevocationReview /> : null}
      </div>
    </Dialog>
  );
}
