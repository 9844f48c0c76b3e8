import type { Setting } from '../../platform';

interface Props {
  id: string;
  setting: Setting;
  /** Plain-words help; the backend's description when not given. */
  help?: string | undefined;
  saved: boolean;
}

/** Help under a setting: what it does, its default, and its key (for clinic IT and the CLI). */
export function SettingHelp({ id, setting, help, saved }: Props) {
  return (
    <p id={id} className="field__help">
      {help ?? setting.description}
      {/[.!?]$/.test(help ?? setting.description) ? '' : '.'}
      {setting.default !== null ? ` Default: ${setting.default}.` : ''}{' '}
      <span className="setting__key mono">{setting.key}</span>
      {saved ? <span className="setting__saved"> Saved.</span> : null}
    </p>
  );
}
