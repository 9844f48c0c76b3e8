import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';

/** What outreach says and when: the clinic's name in texts, quiet hours, the consent invitation and welcome. */
export function OutreachSettingsSection() {
  return (
    <SettingsSection
      title="Outreach"
      intro="Templates and campaigns merge these into texts; quiet hours hold texts for the morning."
    >
      <TextSetting
        settingKey="clinic.name"
        label="Clinic name in texts"
        help="The {clinic_name} field of templates, invitations and welcome texts."
      />
      <TextSetting
        settingKey="sms.quiet_hours"
        label="Quiet hours: texts only between"
        placeholder="08:00-21:00"
        help="HH:MM-HH:MM in the recipient's time zone. A text written outside it waits for the opening and says so; an urgent 1:1 text may go with a reason."
      />
      <TextSetting
        settingKey="consent.invitation_text"
        label="Consent invitation"
        help="Sent by Invite. Say the purpose, how often, that message and data rates may apply, and how to opt out (STOP). A START reply opts the number in."
      />
      <TextSetting
        settingKey="consent.welcome_text"
        label="Welcome text after START"
        help="Sent once to a number that opts in by replying START; off sends none."
      />
    </SettingsSection>
  );
}
