import type { FormEvent, KeyboardEvent } from 'react';

/**
 * A composer form's ways to send: the form's submit (the Send button, Enter in a field)
 * and Ctrl+Enter (or Cmd+Enter) in its textarea. Both run `submit` and nothing else.
 */
export function useSubmitKeys(submit: () => Promise<void> | void) {
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void submit();
    }
  }

  return { onSubmit, onKeyDown };
}
