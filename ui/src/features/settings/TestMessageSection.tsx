import { useId, useState, type FormEvent } from 'react';
import type { Route } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useSendTestMessage } from './queries';
import { SettingsSection } from './SettingsSection';

type RouteChoice = Route | 'default';

/** Spec 002's test message: checks the configuration end to end with one text. */
export function TestMessageSection() {
  const phoneId = useId();
  const routeId = useId();
  const [to, setTo] = useState('');
  const [route, setRoute] = useState<RouteChoice>('default');
  const send = useSendTestMessage();

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (to.trim() === '') return;
    send.mutate({ to: to.trim(), via: route === 'default' ? null : route });
  }

  return (
    <SettingsSection
      title="Send a test message"
      intro="Sends one short text with the settings above, to check that everything is configured. Use your own phone, not a patient's."
    >
      <form className="test-message" onSubmit={onSubmit}>
        <div className="field">
          <label className="field__label" htmlFor={phoneId}>
            Phone number for the test
          </label>
          <input
            id={phoneId}
            className="input"
            type="tel"
            autoComplete="off"
            placeholder="(805) 555-0100"
            value={to}
            onChange={(e) => {
              setTo(e.target.value);
              send.reset();
            }}
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={routeId}>
            Send through
          </label>
          <select
            id={routeId}
            className="input"
            value={route}
            onChange={(e) => setRoute(e.target.value as RouteChoice)}
          >
            <option value="default">The default route</option>
            <option value="his">Hospital SMS server</option>
            <option value="ecm">ECM</option>
          </select>
        </div>
        <button type="submit" className="button button--primary" disabled={to.trim() === '' || send.isPending}>
          {send.isPending ? 'Sending…' : 'Send test message'}
        </button>
      </form>
      <div aria-live="polite">
        {send.data !== undefined && !send.isPending ? (
          <p className="check-result check-result--ok" data-testid="test-message-result">
            {send.data}
          </p>
        ) : null}
      </div>
      <ErrorMessage error={send.error} context="The test message was not sent" />
    </SettingsSection>
  );
}
