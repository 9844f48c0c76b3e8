// @vitest-environment jsdom
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { Providers } from '../../app/Providers';
import { createQueryClient } from '../../app/queryClient';
import type { Campaign, CampaignPreview, CampaignStatus, RecipientRow } from '../../platform';
import { installMockBackend, type CommandArgs, type CommandHandler } from '../../platform/mockBackend';
import { OutreachDialog } from './OutreachDialog';

const CAMPAIGN: Campaign = {
  id: 7,
  gid: 'g-7',
  name: 'Flu shots',
  template: 'Flu',
  body: 'Hi {first_name}, flu shots this week. Reply 1 to book.',
  route: 'his',
  state: 'draft',
  start_at: null,
  caps: { per_day: 1, per_week: 3 },
  answers: [['1', 'book']],
  answer_window_hours: 72,
  created_by: 'Dana',
  created_at: '2026-12-07T15:00:00Z',
  started_at: null,
  finished_at: null,
};

function status(fields: Partial<CampaignStatus> = {}): CampaignStatus {
  return {
    id: 7,
    name: 'Flu shots',
    state: 'running',
    eta_secs: 95,
    runs_on: null,
    total: 10,
    pending: 4,
    sent: 4,
    delivered: 3,
    failed: 0,
    replied: 2,
    skipped: [
      { patient_id: 4, reason: 'opted_out' },
      { patient_id: 5, reason: 'over_cap' },
    ],
    answers: { book: 2 },
    ...fields,
  };
}

function renderCampaigns(handlers: Record<string, CommandHandler>) {
  const backend = installMockBackend({
    list_templates: () => [{ name: 'Flu', text: CAMPAIGN.body, gid: 't1', updated_at: '', updated_by: 'Dana' }],
    ...handlers,
  });
  const user = userEvent.setup();
  render(
    <Providers client={createQueryClient()}>
      <OutreachDialog onClose={() => {}} />
    </Providers>,
  );
  return { backend, user };
}

async function openCampaigns(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole('tab', { name: 'Campaigns' }));
  return screen.findByTestId('campaigns-panel');
}

describe('campaigns in the Outreach dialog', () => {
  it('creates a draft from a template and a search, previews every text, and starts it', async () => {
    let campaigns: CampaignStatus[] = [];
    const preview: CampaignPreview = {
      campaign: CAMPAIGN,
      counts: { total: 3, pending: 2, sent: 0, delivered: 0, failed: 0, replied: 0, skipped: [{ patient_id: 3, reason: 'opted_out' }], answers: {} },
      segments: 2,
      messages: [
        { patient_id: 1, ecm_patient_id: 11, number: '+15551234567', text: 'Hi Ana, flu shots this week. Reply 1 to book.', size: { units: 45, segments: 1, encoding: 'GSM-7', single_limit: 160, per_segment: 153, wide: [], unicode: [] } as never, skipped: null, detail: null },
        { patient_id: 2, ecm_patient_id: 12, number: '+15559876543', text: 'Hi <b>Ben</b>, flu shots this week. Reply 1 to book.', size: null, skipped: null, detail: null },
        { patient_id: 3, ecm_patient_id: 13, number: '+15550001111', text: null, size: null, skipped: 'opted_out', detail: null },
      ],
    };
    const { user, backend } = renderCampaigns({
      list_campaigns: () => campaigns,
      create_campaign: () => {
        campaigns = [status({ state: 'draft', total: 3, pending: 2, sent: 0, delivered: 0, replied: 0, answers: {}, skipped: [{ patient_id: 3, reason: 'opted_out' }] })];
        return preview;
      },
      campaign_action: (args: CommandArgs) => {
        campaigns = [status({ state: 'running', total: 3, pending: 2, sent: 0 })];
        return campaigns[0] ?? args;
      },
    });
    const panel = await openCampaigns(user);
    expect(await within(panel).findByText(/No campaigns yet/)).toBeInTheDocument();
    await user.click(within(panel).getByRole('button', { name: 'New campaign' }));
    const form = screen.getByRole('form', { name: 'New campaign' });
    const previewButton = within(form).getByRole('button', { name: 'Preview' });
    await user.type(within(form).getByLabelText('Campaign name'), 'Flu shots');
    await waitFor(() => expect(within(form).getAllByRole('option')).toHaveLength(2));
    await user.selectOptions(within(form).getByLabelText('Template'), 'Flu');
    await user.click(within(form).getByLabelText('The patients a search finds'));
    expect(previewButton).toBeDisabled();
    await user.type(within(form).getByLabelText('Search the roster'), 'Lopez');
    await user.clear(within(form).getByLabelText('Texts per day per number'));
    await user.type(within(form).getByLabelText('Texts per day per number'), '2');
    await user.type(within(form).getByLabelText('Answers to record (optional)'), '1=book');
    await user.click(previewButton);
    expect(backend.callsTo('create_campaign')).toEqual([
      {
        form: {
          name: 'Flu shots',
          template: 'Flu',
          recipients: { kind: 'search', query: 'Lopez' },
          start_at: null,
          cap_day: 2,
          cap_week: 3,
          answers: '1=book',
          answer_hours: null,
          via: null,
        },
      },
    ]);
    const shown = await screen.findByTestId('campaign-preview');
    expect(shown).toHaveTextContent('Flu shots: 2 texts to send (2 segments), 1 skipped (1 opted out)');
    expect(shown).toHaveTextContent('Hi <b>Ben</b>, flu shots');
    expect(shown.querySelector('b')).toBeNull();
    expect(shown).toHaveTextContent('skipped: opted out');
    await user.click(within(shown).getByRole('button', { name: 'Start campaign' }));
    expect(backend.callsTo('campaign_action')).toEqual([{ id: 7, action: 'start' }]);
    const card = await screen.findByTestId('campaign-card');
    await waitFor(() => expect(within(card).getByTestId('campaign-state')).toHaveTextContent('Sending'));
  });

  it('shows a running campaign\'s progress, ETA, skips and answers; pauses; cancels only after asking', async () => {
    let current = status();
    const { user, backend } = renderCampaigns({
      list_campaigns: () => [current],
      campaign_action: (args: CommandArgs) => {
        current = status({ state: args.action === 'pause' ? 'paused' : args.action === 'cancel' ? 'cancelled' : 'running' });
        return current;
      },
    });
    const panel = await openCampaigns(user);
    const card = await within(panel).findByTestId('campaign-card');
    const bar = within(card).getByRole('progressbar', { name: 'Progress of Flu shots' });
    expect(bar).toHaveAttribute('aria-valuenow', '6');
    expect(bar).toHaveAttribute('aria-valuemax', '10');
    expect(within(card).getByTestId('campaign-counts')).toHaveTextContent(
      '6 of 10 done · 4 sent (3 delivered) · 0 failed · 2 skipped · 4 to go · about 2 min left',
    );
    expect(card).toHaveTextContent('Skipped: 1 opted out · 1 over the frequency cap');
    expect(within(card).getByTestId('campaign-answers')).toHaveTextContent('2 book · 2 replied');
    await user.click(within(card).getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(within(card).getByTestId('campaign-state')).toHaveTextContent('Paused'));
    await user.click(within(card).getByRole('button', { name: 'Cancel' }));
    expect(backend.callsTo('campaign_action')).toEqual([{ id: 7, action: 'pause' }]);
    await user.click(within(card).getByRole('button', { name: 'Cancel the rest?' }));
    expect(backend.callsTo('campaign_action')).toEqual([
      { id: 7, action: 'pause' },
      { id: 7, action: 'cancel' },
    ]);
  });

  it('shows the report per recipient and exports it as CSV', async () => {
    const rows: RecipientRow[] = [
      { patient_id: 1, ecm_patient_id: 11, number: '+15551234567', state: 'delivered', reason: null, sent_at: '2026-12-07T15:00:00Z', delivered: true, answer: 'book', replied: true, message_id: 90 },
      { patient_id: 4, ecm_patient_id: 14, number: '+15550001111', state: 'skipped', reason: 'opted_out', sent_at: null, delivered: false, answer: null, replied: false, message_id: null },
    ];
    const { user, backend } = renderCampaigns({
      list_campaigns: () => [status({ state: 'done', pending: 0 })],
      campaign_report: () => rows,
      export_campaign_report: () => ({ path: '/exports/caredesk-campaign-7.csv', rows: 2 }),
    });
    const panel = await openCampaigns(user);
    const card = await within(panel).findByTestId('campaign-card');
    await user.click(within(card).getByRole('button', { name: 'Report' }));
    const report = await within(card).findByTestId('campaign-report');
    const shown = await within(report).findAllByTestId('campaign-report-row');
    expect(shown.map((r) => r.textContent)).toEqual([
      '#1+1 (555) 123-4567deliveredyesbookyes',
      '#4+1 (555) 000-1111skipped: opted out',
    ]);
    await user.click(within(report).getByRole('button', { name: 'Export CSV' }));
    expect(await within(report).findByRole('status')).toHaveTextContent('2 rows written to /exports/caredesk-campaign-7.csv');
    expect(backend.callsTo('export_campaign_report')).toEqual([{ id: 7 }]);
  });

  it('shows a colleague\'s campaign read-only, naming the desk it runs on', async () => {
    renderCampaigns({ list_campaigns: () => [status({ id: -3, runs_on: 'Ana Ruiz' })] });
    const panel = await openCampaigns(userEvent.setup());
    const card = await within(panel).findByTestId('campaign-card');
    expect(within(card).getByTestId('campaign-runs-on')).toHaveTextContent("Runs on Ana Ruiz's desk");
    expect(within(card).getByRole('progressbar', { name: 'Progress of Flu shots' })).toHaveAttribute('aria-valuenow', '6');
    expect(within(card).queryByRole('button')).toBeNull();
  });
});
