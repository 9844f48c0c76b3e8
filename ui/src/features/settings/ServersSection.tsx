import { useAppInfo } from '../app-info/queries';
import { RadioSetting } from './RadioSetting';
import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';

const MODES = [
  {
    value: 'auto',
    label: 'Automatic',
    explanation: 'Uses the built-in sandbox until a server address is filled in below, then the real servers.',
  },
  {
    value: 'sandbox',
    label: 'Always sandbox',
    explanation: 'Practice and training: texts and calls go to the simulator, never to real patients.',
  },
  {
    value: 'real',
    label: 'Real servers',
    explanation: 'Only the hospital SMS server and ECM configured below. Texts reach real patients.',
  },
];

export function ServersSection() {
  const mode = useAppInfo().data?.mode;
  return (
    <SettingsSection
      title="Servers"
      intro={
        mode ? (
          <>
            CareDesk is using <strong>{mode === 'sandbox' ? 'the sandbox' : 'the real servers'}</strong> now.
          </>
        ) : undefined
      }
    >
      <RadioSetting settingKey="servers.mode" legend="Which servers to use" options={MODES} />
      <TextSetting
        settingKey="sandbox.port"
        label="Sandbox port"
        inputMode="numeric"
        help="Advanced, for scripts that drive the sandbox: its port on this computer. 0 picks any free port."
      />
    </SettingsSection>
  );
}
