import { createContext, useContext } from 'react';
import type { Draft } from './draftStore';

/** The open conversation, for the actions under a bubble (Undo, Retry, Edit and resend). */
export interface ComposerFill {
  patientId: number;
  /** Puts a text (and its To and Via) back into the patient's composer. */
  fill: (patch: Partial<Draft>) => void;
  /** The text the composer holds now. */
  current: () => string;
}

/** Provided by Conversation; null outside one (then the actions are not shown). */
export const ComposerFillContext = createContext<ComposerFill | null>(null);

export function useComposerFill(): ComposerFill | null {
  return useContext(ComposerFillContext);
}

/** Moves the focus to the composer's text box, the cursor at its end. */
export function focusComposer(): void {
  const box = document.querySelector<HTMLTextAreaElement>('[data-testid="composer"] textarea');
  if (!box) return;
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

/** A text put back: before whatever was typed since, never over it. */
export function joinDraft(back: string, typed: string): string {
  return typed.trim() === '' ? back : `${back}\n${typed}`;
}
