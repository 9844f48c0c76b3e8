import { useId, type ReactNode } from 'react';

interface Props {
  title: string;
  /** One or two sentences under the title. */
  intro?: ReactNode;
  children: ReactNode;
}

/** A titled part of the Settings dialog (a region named by its title). */
export function SettingsSection({ title, intro, children }: Props) {
  const titleId = useId();
  return (
    <section className="settings-section" aria-labelledby={titleId}>
      <h3 id={titleId} className="settings-section__title">
        {title}
      </h3>
      {intro ? <p className="field__help settings-section__intro">{intro}</p> : null}
      {children}
    </section>
  );
}
