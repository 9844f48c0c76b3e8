import { useState, type ReactNode } from 'react';
import './team.css';

type Mode = 'text' | 'note';

interface Props {
  /** The text composer (to the patient). */
  text: ReactNode;
  /** The internal note composer. */
  note: ReactNode;
}

/** Team mode's composer: "Text" to the patient or "Internal note" to the team, one at a time. */
export function ComposerModes({ text, note }: Props) {
  const [mode, setMode] = useState<Mode>('text');
  return (
    <div className={mode === 'note' ? 'composer-modes composer-modes--note' : 'composer-modes'}>
      <div className="composer-modes__tabs" role="tablist" aria-label="Write">
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'text'}
          className="composer-modes__tab"
          onClick={() => setMode('text')}
        >
          Text
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'note'}
          className="composer-modes__tab composer-modes__tab--note"
          data-testid="note-mode"
          onClick={() => setMode('note')}
        >
          Internal note
        </button>
      </div>
      {mode === 'text' ? text : note}
    </div>
  );
}
