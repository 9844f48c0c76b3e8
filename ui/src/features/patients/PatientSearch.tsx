import type { KeyboardEvent, Ref } from 'react';

interface Props {
  value: string;
  onChange: (value: string) => void;
  /** ArrowDown: move into the list. */
  onArrowDown: () => void;
  /** Enter: open the first match. */
  onEnter: () => void;
  inputRef: Ref<HTMLInputElement>;
}

export function PatientSearch({ value, onChange, onArrowDown, onEnter, inputRef }: Props) {
  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      onArrowDown();
    } else if (event.key === 'Enter') {
      event.preventDefault();
      onEnter();
    } else if (event.key === 'Escape' && value !== '') {
      event.preventDefault();
      onChange('');
    }
  }

  return (
    <input
      ref={inputRef}
      className="input patient-search"
      type="search"
      aria-label="Search patients"
      placeholder="Search name, phone or ECM id (Ctrl+K)"
      autoComplete="off"
      spellCheck={false}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      onKeyDown={onKeyDown}
    />
  );
}
