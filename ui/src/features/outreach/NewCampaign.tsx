import { useId, useState } from 'react';
import { errorMessage, type CampaignPreview, type CampaignRecipients } from '../../platform';
import { plural } from '../../shared/plural';
import { readFileText } from '../../shared/readFileText';
import { formatPhone } from '../patients/phones';
import { useCampaignAction, useCreateCampaign, useTemplates } from './campaignQueries';
import { skippedSummary, skipWords } from './campaignWords';

type Who = 'all' | 'search' | 'csv';

/** The preview of a draft: what will be sent to whom, the segments billed, who is skipped and why. */
function PreviewView({ preview, onDone }: { preview: CampaignPreview; onDone: () => void }) {
  const act = useCampaignAction();
  const { campaign, counts } = preview;
  const toSend = counts.total - counts.skipped.length;
  const skipped = skippedSummary(counts);
  return (
    <div className="campaign-preview" data-testid="campaign-preview">
      <p>
        <strong>{campaign.name}</strong>: {plural(toSend, 'text')} to send ({plural(preview.segments, 'segment')}),{' '}
        {counts.skipped.length} skipped{skipped ? ` (${skipped})` : ''}.
      </p>
      <ul className="campaign-preview__list">
        {preview.messages.map((m, i) => (
          <li key={i} className={m.skipped ? 'campaign-preview__item muted' : 'campaign-preview__item'}>
            <span className="mono">{m.number ? formatPhone(m.number) : `ECM ${m.ecm_patient_id ?? '?'}`}</span>{' '}
            {m.skipped ? (
              <em>skipped: {skipWords(m.skipped)}{m.detail ? ` (${m.detail})` : ''}</em>
            ) : (
              <>
                <span className="campaign-preview__text">{m.text}</span>
                {m.size ? <span className="muted"> · {plural(m.size.segments, 'segment')}</span> : null}
              </>
            )}
          </li>
        ))}
      </ul>
      {act.error ? (
        <p className="error-message" role="alert">
          {errorMessage(act.error)}
        </p>
      ) : null}
      <div className="template-form__buttons">
        <button
          type="button"
          className="button button--primary"
          disabled={act.isPending || toSend === 0}
          onClick={() => act.mutate({ id: campaign.id, action: 'start' }, { onSuccess: onDone })}
        >
          Start campaign
        </button>
        <button type="button" className="button" onClick={onDone}>
          Keep as draft
        </button>
      </div>
    </div>
  );
}

/** A new campaign: name, template, recipients, start time, caps, answers; then its preview and Start. */
export function NewCampaign({ onDone }: { onDone: () => void }) {
  const ids = useId();
  const templates = useTemplates().data ?? [];
  const create = useCreateCampaign();
  const [name, setName] = useState('');
  const [template, setTemplate] = useState('');
  const [who, setWho] = useState<Who>('all');
  const [query, setQuery] = useState('');
  const [csv, setCsv] = useState<{ name: string; content: string } | null>(null);
  const [later, setLater] = useState(false);
  const [at, setAt] = useState('');
  const [capDay, setCapDay] = useState('1');
  const [capWeek, setCapWeek] = useState('3');
  const [answers, setAnswers] = useState('');

  const recipients: CampaignRecipients | null =
    who === 'all'
      ? { kind: 'all' }
      : who === 'search'
        ? query.trim()
          ? { kind: 'search', query: query.trim() }
          : null
        : csv
          ? { kind: 'csv', content: csv.content }
          : null;
  const ready = name.trim() !== '' && template !== '' && recipients !== null && (!later || at !== '');

  if (create.data) return <PreviewView preview={create.data} onDone={onDone} />;

  const cap = (v: string) => (v.trim() === '' ? null : Number.parseInt(v, 10));
  return (
    <form
      className="template-form"
      aria-label="New campaign"
      onSubmit={(e) => {
        e.preventDefault();
        if (!ready || recipients === null) return;
        create.mutate({
          name: name.trim(),
          template,
          recipients,
          start_at: later ? at : null,
          cap_day: cap(capDay),
          cap_week: cap(capWeek),
          answers: answers.trim(),
          answer_hours: null,
          via: null,
        });
      }}
    >
      <div className="field">
        <label htmlFor={`${ids}-name`}>Campaign name</label>
        <input id={`${ids}-name`} className="input" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${ids}-template`}>Template</label>
        <select id={`${ids}-template`} className="input" value={template} onChange={(e) => setTemplate(e.target.value)}>
          <option value="">Choose a template…</option>
          {templates.map((t) => (
            <option key={t.gid} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="settings-group">
        <legend className="settings-group__legend">Recipients</legend>
        {(
          [
            ['all', 'Every patient on the roster'],
            ['search', 'The patients a search finds'],
            ['csv', 'A CSV file of ECM ids (ecm_patient_id, and any merge columns)'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="composer__toggle">
            <input type="radio" name={`${ids}-who`} checked={who === value} onChange={() => setWho(value)} />
            {label}
          </label>
        ))}
        {who === 'search' ? (
          <input
            className="input"
            aria-label="Search the roster"
            placeholder="A name, a number or an ECM id"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        ) : null}
        {who === 'csv' ? (
          <input
            type="file"
            accept=".csv,text/csv"
            aria-label="Recipients file"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void readFileText(file).then((content) => setCsv({ name: file.name, content }));
            }}
          />
        ) : null}
      </fieldset>
      <div className="campaign-form__row">
        <label className="composer__toggle">
          <input type="checkbox" checked={later} onChange={(e) => setLater(e.target.checked)} />
          Start later
        </label>
        {later ? (
          <input
            type="datetime-local"
            className="input"
            aria-label="Start at (clinic time)"
            value={at}
            onChange={(e) => setAt(e.target.value)}
          />
        ) : null}
      </div>
      <div className="campaign-form__row">
        <label>
          At most{' '}
          <input className="input campaign-form__cap" inputMode="numeric" aria-label="Texts per day per number" value={capDay} onChange={(e) => setCapDay(e.target.value)} />{' '}
          a day and{' '}
          <input className="input campaign-form__cap" inputMode="numeric" aria-label="Texts per week per number" value={capWeek} onChange={(e) => setCapWeek(e.target.value)} />{' '}
          a week per number (campaign texts; 0: no cap)
        </label>
      </div>
      <div className="field">
        <label htmlFor={`${ids}-answers`}>Answers to record (optional)</label>
        <input
          id={`${ids}-answers`}
          className="input"
          placeholder="1=confirm,2=cancel"
          value={answers}
          onChange={(e) => setAnswers(e.target.value)}
        />
        <p className="field__help">A reply that is exactly a key, within 72 hours, is recorded as that answer.</p>
      </div>
      {create.error ? (
        <p className="error-message" role="alert">
          Could not create the campaign: {errorMessage(create.error)}
        </p>
      ) : null}
      <div className="template-form__buttons">
        <button type="submit" className="button button--primary" disabled={!ready || create.isPending}>
          {create.isPending ? 'Preparing…' : 'Preview'}
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
