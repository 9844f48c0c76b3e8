import { useEffect, useId, useRef, useState } from 'react';
import type { SandboxBehaviour } from '../platform';

interface Props {
  behaviours: SandboxBehaviour[];
}

/** Says the desk runs against the simulator, and what the simulator does. */
export function SandboxBanner({ behaviours }: Props) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    function onKeyDown(event: KeyboardEvent) {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      setOpen(false);
      buttonRef.current?.focus();
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [open]);

  return (
    <div className="sandbox-banner" data-testid="sandbox-banner" role="note">
      <strong>Sandbox</strong> — messages go to the built-in simulator, not to real patients. To use the real servers,
      set them up in Settings.{' '}
      {behaviours.length > 0 ? (
        <button
          ref={buttonRef}
          type="button"
          className="sandbox-banner__more"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpen((o) => !o)}
        >
          What the sandbox does
        </button>
      ) : null}
      {open ? (
        <div id={panelId} className="sandbox-banner__panel" data-testid="sandbox-behaviours" role="region" aria-label="What the sandbox does">
          <p>The simulated patients answer like this (the names and numbers are fictional):</p>
          <dl>
            {behaviours.map((b) => (
              <div key={b.who} className="sandbox-banner__row">
                <dt>{b.who}</dt>
                <dd>{b.what}</dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      ) : null}
    </div>
  );
}
