import { asSentence } from '../../shared/sentence';

/** The backend's notes on a paused route's texts start with this; shown as the "Waiting" badge instead. */
const WAITING = 'waiting:';

/**
 * Why an outbound text has not gone yet, under its bubble. `paused` (its route waits for new
 * credentials; nothing failed) gives it the "Waiting" treatment, else muted words.
 */
export function MessageNote({ note, paused }: { note: string; paused: boolean }) {
  if (paused) {
    const words = note.startsWith(WAITING) ? note.slice(WAITING.length) : note;
    return (
      <p className="message__mark message__note message__note--waiting" data-testid="message-note">
        <span className="badge badge--waiting">Waiting</span>
        <span className="visually-hidden">:</span> {asSentence(words)}
      </p>
    );
  }
  return (
    <p className="message__mark message__note" data-testid="message-note">
      {asSentence(note)}
    </p>
  );
}
