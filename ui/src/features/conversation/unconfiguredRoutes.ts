import { useSyncExternalStore } from 'react';
import type { Route } from '../../platform';

/**
 * Routes the backend refused to send on because they are not set up (send_sms rejected
 * with code not_configured), with its message. Shared by every conversation so the
 * composer says so before the next try; cleared when settings close or on "Try again".
 */
export interface UnconfiguredRoutes {
  get(route: Route): string | null;
  set(route: Route, message: string): void;
  clear(): void;
  subscribe(listener: () => void): () => void;
}

export function createUnconfiguredRoutes(): UnconfiguredRoutes {
  let problems: Partial<Record<Route, string>> = {};
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  return {
    get: (route) => problems[route] ?? null,
    set(route, message) {
      problems = { ...problems, [route]: message };
      notify();
    },
    clear() {
      if (Object.keys(problems).length === 0) return;
      problems = {};
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Why texts cannot go out over this route, or null when nothing is known against it. */
export function useUnconfiguredRoute(store: UnconfiguredRoutes, route: Route): string | null {
  return useSyncExternalStore(store.subscribe, () => store.get(route));
}
