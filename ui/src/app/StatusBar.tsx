import type { AppInfo } from '../platform';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Only rendered once app_info has answered (see App); startup failures have their own screen. */
export function StatusBar({ info }: { info: AppInfo }) {
  return (
    <footer className="status-bar" data-testid="status-bar" role="status">
      <span className={info.mode === 'sandbox' ? 'status-bar__mode status-bar__mode--sandbox' : 'status-bar__mode'}>
        {info.mode === 'sandbox' ? 'Sandbox' : 'Real servers'}
      </span>
      <span>{plural(info.patient_count, 'patient')}</span>
      <span className="status-bar__spacer" />
      <span>{info.user_name}</span>
      <span>CareDesk v{info.version}</span>
    </footer>
  );
}
