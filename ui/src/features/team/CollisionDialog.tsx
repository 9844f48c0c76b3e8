import type { ColleagueSend } from '../../platform';
import { Dialog } from '../../shared/Dialog';
import { revealInvisibles } from '../conversation/invisibles';
import { parseTimestamp } from '../conversation/time';
import { formatAgo } from '../sync/time';
import './team.css';

/** How much of a colleague's text the question quotes. */
export const QUOTE_CHARS = 60;

export function quote(text: string): string {
  const flat = revealInvisibles(text).split(/\s+/).filter(Boolean).join(' ');
  const chars = Array.from(flat);
  return chars.length <= QUOTE_CHARS ? flat : `${chars.slice(0, QUOTE_CHARS - 1).join('')}…`;
}

/** "Ben Ortiz sent 'Your appointment…' 12 s ago". */
export function sentWords(send: ColleagueSend, now: Date): string {
  const at = parseTimestamp(send.at);
  const when = at ? ` ${formatAgo(at, now)}` : '';
  return `${send.sent_by} sent “${quote(send.text)}”${when}`;
}

interface Props {
  /** Newest first. */
  sends: ColleagueSend[];
  now: Date;
  onSend: () => void;
  onCancel: () => void;
}

/**
 * Asks before sending when a colleague texted this patient after this coordinator started
 * writing: what they sent, and "Send yours anyway?". Keep editing (or Esc) sends nothing.
 */
export function CollisionDialog({ sends, now, onSend, onCancel }: Props) {
  const [newest, ...older] = sends;
  if (!newest) return null;
  return (
    <Dialog title="A colleague just texted this patient" onClose={onCancel} className="confirm-dialog">
      <div data-testid="collision-prompt">
        <p className="confirm-dialog__question" dir="auto">
          {sentWords(newest, now)}, after you started writing. Send yours anyway?
        </p>
        {older.length > 0 ? (
          <ul className="collision__older">
            {older.map((s) => (
              <li key={s.message_id} dir="auto">
                {sentWords(s, now)}
              </li>
            ))}
          </ul>
        ) : null}
        <div className="confirm-dialog__actions">
          <button type="button" className="button" onClick={onCancel}>
            Keep editing
          </button>
          <button type="button" className="button button--primary" onClick={onSend}>
            Send anyway
          </button>
        </div>
      </div>
    </Dialog>
  );
}
