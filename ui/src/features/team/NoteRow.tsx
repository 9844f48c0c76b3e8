import type { Note } from '../../platform';
import { MessageText } from '../conversation/MessageText';
import { Timestamp } from '../conversation/Timestamp';
import './team.css';

/**
 * An internal note in the thread: yellow, across the thread's middle, labelled as never sent,
 * with its author and time. Its text is React text only (never markup), like a message's.
 */
export function NoteRow({ note }: { note: Note }) {
  return (
    <div className="note" data-testid="note" role="note" aria-label={`Internal note by ${note.author_name}`}>
      <p className="note__label">
        <span className="note__kind">Internal note</span>
        <span aria-hidden="true"> · </span>
        <span>never sent to the patient</span>
      </p>
      <MessageText className="note__text" text={note.text} />
      <p className="note__meta">
        <span className="note__author" title={`${note.author_name} (${note.author})`} dir="auto">
          {note.author_name}
        </span>
        <Timestamp at={note.at} />
      </p>
    </div>
  );
}
