import { useEffect } from 'react';
import { reportActivity } from '../../platform';

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * Reports input to the backend (throttled to a quarter of the timeout, at most every 15 s,
 * the last input of a burst included),
 * and asks again when the timeout passes without input. The backend decides; `onLocked`
 * runs when it says the desk is locked.
 */
export function useIdleReport(idleLockSecs: number, onLocked: () => void) {
  useEffect(() => {
    const timeoutMs = Math.max(1, idleLockSecs) * 1000;
    const throttleMs = Math.min(15_000, Math.max(250, timeoutMs / 4));
    let lastSent = 0;
    let idleTimer = 0;
    let trailing = 0;
    let stopped = false;

    function ask() {
      void reportActivity()
        .then((locked) => {
          if (locked && !stopped) onLocked();
        })
        .catch(() => {});
    }
    function armIdleTimer() {
      window.clearTimeout(idleTimer);
      // Just past the timeout: the backend has locked by then unless input reached it.
      idleTimer = window.setTimeout(() => {
        if (!stopped) onLocked();
      }, timeoutMs + 500);
    }
    function send() {
      trailing = 0;
      lastSent = Date.now();
      ask();
    }
    function onInput() {
      armIdleTimer();
      const since = Date.now() - lastSent;
      if (since >= throttleMs) send();
      // The last input of a burst reaches the backend too, a little later.
      else if (!trailing) trailing = window.setTimeout(send, throttleMs - since);
    }
    armIdleTimer();
    ask();
    for (const e of INPUT_EVENTS) window.addEventListener(e, onInput, { passive: true });
    return () => {
      stopped = true;
      window.clearTimeout(idleTimer);
      window.clearTimeout(trailing);
      for (const e of INPUT_EVENTS) window.removeEventListener(e, onInput);
    };
  }, [idleLockSecs, onLocked]);
}
