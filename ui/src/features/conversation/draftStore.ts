import { useCallback, useSyncExternalStore } from 'react';
import type { Route } from '../../platform';

/**
 * What the coordinator has started for one patient in this session: text, and the number
 * and route they chose in this thread (null: the patient's default, see composerChoice).
 */
export interface Draft {
  text: string;
  /** Chosen number (E.164); null = the patient's first current number. */
  to: string | null;
  /** Chosen route; null = the route default (setting sms.via). */
  via: Route | null;
}

export const EMPTY_DRAFT: Draft = Object.freeze({ text: '', to: null, via: null });

/** In-memory drafts keyed by patient id; lives as long as the conversation pane. */
export interface DraftStore {
  get(patientId: number): Draft;
  update(patientId: number, patch: Partial<Draft>): void;
  subscribe(listener: () => void): () => void;
}

export function createDraftStore(): DraftStore {
  const drafts = new Map<number, Draft>();
  const listeners = new Set<() => void>();
  return {
    get: (patientId) => drafts.get(patientId) ?? EMPTY_DRAFT,
    update(patientId, patch) {
      const next = { ...(drafts.get(patientId) ?? EMPTY_DRAFT), ...patch };
      if (next.text === '' && next.to === null && next.via === null) drafts.delete(patientId);
      else drafts.set(patientId, next);
      listeners.forEach((listener) => listener());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** One patient's draft and a function to change it. */
export function useDraft(store: DraftStore, patientId: number): [Draft, (patch: Partial<Draft>) => void] {
  const draft = useSyncExternalStore(store.subscribe, () => store.get(patientId));
  const update = useCallback((patch: Partial<Draft>) => store.update(patientId, patch), [store, patientId]);
  return [draft, update];
}
