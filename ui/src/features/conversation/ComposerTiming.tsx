import { useId } from 'react';

/** When a text goes: now, at a chosen local time (Send later), or now even in quiet hours (Urgent). */
export interface Timing {
  /** Send later is open. */
  later: boolean;
  /** The chosen local time, `YYYY-MM-DDTHH:MM` (empty until chosen). */
  at: string;
  /** Urgent is on: the text may go inside the recipient's quiet hours. */
  urgent: boolean;
  /** Why it is urgent (audited). */
  reason: string;
}

export const SEND_NOW: Timing = { later: false, at: '', urgent: false, reason: '' };

/** What keeps the text from being sent with this timing, in words; null when it can go. */
export function timingProblem(t: Timing): string | null {
  if (t.later && t.at === '') return 'Choose when to send it.';
  if (t.urgent && t.reason.trim() === '') return 'Say why it is urgent.';
  return null;
}

/** The send's extras for the backend (none when it goes now). */
export function timingExtras(t: Timing): { at?: string; urgent?: string } {
  return {
    ...(t.later && t.at ? { at: t.at } : {}),
    ...(t.urgent && t.reason.trim() ? { urgent: t.reason.trim() } : {}),
  };
}

interface Props {
  timing: Timing;
  onChange: (timing: Timing) => void;
  disabled: boolean;
}

/** Send later (a local date and time) and Urgent (with its reason), under the text. */
export function ComposerTiming({ timing, onChange, disabled }: Props) {
  const ids = useId();
  return (
    <div className="composer__timing">
      <div className="composer__timing-toggles">
        <label className="composer__toggle">
          <input
            type="checkbox"
            checked={timing.later}
            disabled={disabled}
            onChange={(e) => onChange({ ...timing, later: e.target.checked })}
          />
          Send later
        </label>
        <label className="composer__toggle">
          <input
            type="checkbox"
            checked={timing.urgent}
            disabled={disabled}
            onChange={(e) => onChange({ ...timing, urgent: e.target.checked })}
          />
          Urgent
        </label>
      </div>
      {timing.later ? (
        <div className="composer__field">
          <label htmlFor={`${ids}-at`} className="composer__label">
            Send at (clinic time)
          </label>
          <input
            id={`${ids}-at`}
            className="input"
            type="datetime-local"
            value={timing.at}
            disabled={disabled}
            onChange={(e) => onChange({ ...timing, at: e.target.value })}
          />
        </div>
      ) : null}
      {timing.urgent ? (
        <div className="composer__field">
          <label htmlFor={`${ids}-reason`} className="composer__label">
            Why it is urgent
          </label>
          <input
            id={`${ids}-reason`}
            className="input"
            value={timing.reason}
            disabled={disabled}
            aria-describedby={`${ids}-urgent-help`}
            onChange={(e) => onChange({ ...timing, reason: e.target.value })}
          />
          <span id={`${ids}-urgent-help`} className="composer__hint">
            It may reach the patient during their quiet hours; the reason is recorded in the audit log.
          </span>
        </div>
      ) : null}
    </div>
  );
}
