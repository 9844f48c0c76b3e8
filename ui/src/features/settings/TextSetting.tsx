import { useSetting } from './queries';
import { SettingField, type TextFieldOptions } from './SettingField';

/** A text setting by key; nothing when this backend does not know the key. */
export function TextSetting({ settingKey, ...options }: TextFieldOptions & { settingKey: string }) {
  const setting = useSetting(settingKey);
  return setting ? <SettingField setting={setting} {...options} /> : null;
}
