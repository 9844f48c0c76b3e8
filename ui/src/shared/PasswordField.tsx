/** A labelled password input: the passphrase fields of the lock, setup and Settings screens. */
export function PasswordField({
  id,
  label,
  value,
  onChange,
  autoComplete,
  autoFocus = false,
  className = 'input',
  testId,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password';
  autoFocus?: boolean;
  className?: string;
  testId?: string;
}) {
  return (
    <>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className={className}
        type="password"
        autoComplete={autoComplete}
        autoFocus={autoFocus}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
    </>
  );
}
