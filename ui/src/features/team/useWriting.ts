import { useEffect, useRef, useState } from 'react';

/** Without a keystroke for this long, a coordinator with a draft is no longer "writing". */
export const WRITING_IDLE_MS = 15_000;

/**
 * Whether the coordinator is writing now: the draft changed (not at mount: an old draft is
 * not writing) and is not empty, and the last change is at most WRITING_IDLE_MS ago.
 */
export function useWriting(text: string): boolean {
  const [writing, setWriting] = useState(false);
  const mounted = useRef(false);
  useEffect(() => {
    if (!mounted.current) {
      mounted.current = true;
      return;
    }
    if (text.trim() === '') {
      setWriting(false);
      return;
    }
    setWriting(true);
    const idle = setTimeout(() => setWriting(false), WRITING_IDLE_MS);
    return () => clearTimeout(idle);
  }, [text]);
  return writing;
}
