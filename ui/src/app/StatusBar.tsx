import { useAppInfo } from '../features/app-info/queries';
import { errorMessage } from '../platform';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function StatusBar() {
  const info = useAppInfo();
  return (
    <footer className="status-bar" data-testid="status-bar" role="status">
      {info.data ? (
        <>
          <span className={info.data.mode === 'sandbox' ? 'status-bar__mode status-bar__mode--sandbox' : 'status-bar__mode'}>
            {info.data.mode === 'sandbox' ? 'Sandbox' : 'Real servers'}
          </span>
          <span>{plural(info.data.patient_count, 'patient')}</span>
          <span className="status-bar__spacer" />
          <span>{info.data.user_name}</span>
          <span>CareDesk v{info.data.version}</span>
        </>
      ) : info.error ? (
        <span className="status-bar__error">Backend unavailable: {errorMessage(info.error)}</span>
      ) : (
        <span>Connecting…</span>
      )}
    </footer>
  );
}
