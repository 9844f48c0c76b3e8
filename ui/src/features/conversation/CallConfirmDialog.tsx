import type { KeyboardEvent } from 'react';
import './outbound.css';
import type { Patient } from '../../platform';
import { Dialog } from '../../shared/Dialog';
import { formatPhone } from '../patients/phones';
import { ownerWords } from './recipients';

/** "Ben Carter's mobile +1 (805) 555-0102", "Ben Carter's contact Luis Lopez (son) +1 (805) …". */
export function callTargetWords(patient: Patient, number: string): string {
  const owner = ownerWords(patient, number);
  const shown = formatPhone(number);
  return owner === null ? `${shown} (not one of ${patient.name}'s numbers)` : `${owner} ${shown}`;
}

interface Props {
  patient: Patient;
  to: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * Asks before a call is placed: "Call Ben Carter's mobile +1 (805) 555-0102 through ECM?".
 * The focus starts on Call, so Enter places it; Esc (or Cancel) closes with no call.
 */
export function CallConfirmDialog({ patient, to, onConfirm, onCancel }: Props) {
  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {
      event.preventDefault();
      onConfirm();
    }
  }
  return (
    <Dialog title="Place a call" onClose={onCancel} className="confirm-dialog">
      <div onKeyDown={onKeyDown} data-testid="call-confirm">
        <p className="confirm-dialog__question">Call {callTargetWords(patient, to)} through ECM?</p>
        <div className="confirm-dialog__actions">
          <button type="button" className="button button--primary" onClick={onConfirm}>
            Call
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </Dialog>
  );
}
