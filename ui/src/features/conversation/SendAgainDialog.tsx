import type { KeyboardEvent } from 'react';
import { Dialog } from '../../shared/Dialog';

interface Props {
  onConfirm: () => void;
  onCancel: () => void;
}

/** Before a text that may have gone is sent again: says why it asks. Enter sends, Esc cancels. */
export function SendAgainDialog({ onConfirm, onCancel }: Props) {
  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {
      event.preventDefault();
      onConfirm();
    }
  }
  return (
    <Dialog title="Send again?" onClose={onCancel} className="confirm-dialog">
      <div onKeyDown={onKeyDown}>
        <p className="confirm-dialog__question">
          ECM may have delivered this; check the patient&apos;s ECM activity; send again anyway?
        </p>
        <div className="confirm-dialog__actions">
          <button type="button" className="button button--primary" onClick={onConfirm}>
            Send again
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </Dialog>
  );
}
