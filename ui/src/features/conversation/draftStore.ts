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
  /**
   * When the text was started (RFC 3339): set by the first character typed, cleared when the
   * text is emptied. The send-time check asks what colleagues sent since then.
   */
  startedAt?: string | null;
}

export const EMPTY_DRAFT: Draft = Object.freeze({ text: '', to: null, via: null });

/** The draft after `patch`, with `startedAt` following its text. */
function patched(draft: Draft, patch: Partial<Draft>, now: () => Date): Draft {
  const next = { ...draft, ...patch };
  if (patch.text === undefined) return next;
  if (next.text.trim() === '') {
    delete next.startedAt;
  } else if (draft.text.trim() === '' || !draft.startedAt) {
    next.startedAt = now().toISOString();
  }
  return next;
}

/** In-memory drafts keyed by patient id; lives as long as the conversation pane. */
export interface DraftStore {
  get(patientId: number): Draft;
  update(patientId: number, patch: Partial<Draft>): void;
  subscribe(listener: () => void): () => void;
}

export function createDraftStore(now: () => Date = () => new Date()): DraftStore {
  const drafts = new Map<number, Draft>();
  const listeners = new Set<() => void>();
  return {
    get: (patientId) => drafts.get(patientId) ?? EMPTY_DRAFT,
    update(patientId, patch) {
      const next = patched(drafts.get(patientId) ?? EMPTY_DRAFT, patch, now);
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
