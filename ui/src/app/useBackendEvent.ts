import { useEffect, useRef } from 'react';

type Subscribe<T> = (handler: (payload: T) => void) => Promise<() => void>;

/** Listens to a backend event while mounted; the latest `handler` always runs. */
export function useBackendEvent<T>(subscribe: Subscribe<T>, handler: (payload: T) => void) {
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  useEffect(() => {
    let stop: (() => void) | null = null;
    let unmounted = false;
    void subscribe((payload) => handlerRef.current(payload)).then((unlisten) => {
      if (unmounted) unlisten();
      else stop = unlisten;
    });
    return () => {
      unmounted = true;
      stop?.();
    };
  }, [subscribe]);
}
