import { useState } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { ChoiceSetting } from './ChoiceSetting';
import { useSenderNumbers, useSetting } from './queries';
import { SettingField } from './SettingField';

const HELP = 'The hospital number or sender name texts come from, as assigned by the SMS provider.';

/**
 * his.from: chosen from the server's Get numbers list, or typed when the list cannot be
 * loaded (wrong address, missing secret) or the number is not on it.
 */
export function SenderNumberField() {
  const setting = useSetting('his.from');
  const numbers = useSenderNumbers();
  const [typing, setTyping] = useState(false);
  if (!setting) return null;

  const list = numbers.data ?? [];
  const choosing = list.length > 0 && !typing;

  return (
    <div className="sender-number" data-testid="sender-number">
      {choosing ? (
        <ChoiceSetting
          settingKey="his.from"
          label="Sender number"
          help={HELP}
          options={list.map((n) => ({ value: n.number, label: n.number }))}
        />
      ) : (
        <SettingField setting={setting} label="Sender number" help={HELP} placeholder="e.g. +18055550100 or RSL_HOSP" />
      )}
      <div className="sender-number__actions">
        <button
          type="button"
          className="button"
          aria-label="Refresh sender numbers"
          disabled={numbers.isFetching}
          onClick={() => void numbers.refetch()}
        >
          {numbers.isFetching ? 'Getting numbers…' : 'Refresh'}
        </button>
        {list.length > 0 ? (
          <button type="button" className="button button--ghost" onClick={() => setTyping(!typing)}>
            {typing ? 'Choose from the list' : 'Type a number instead'}
          </button>
        ) : null}
        {numbers.isFetching ? (
          <span className="muted" role="status">
            Asking the hospital SMS server for its numbers…
          </span>
        ) : null}
      </div>
      {numbers.error && !numbers.isFetching ? (
        <>
          <ErrorMessage error={numbers.error} context="Could not get the sender numbers" />
          <p className="field__help">You can still type the sender number above.</p>
        </>
      ) : null}
      {numbers.isSuccess && list.length === 0 && !numbers.isFetching ? (
        <p className="field__help">The hospital SMS server lists no sender numbers. Type the number above.</p>
      ) : null}
    </div>
  );
}
