// @vitest-environment jsdom
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useWriting, WRITING_IDLE_MS } from './useWriting';

describe('useWriting', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is writing while the text changes, not for an old draft, and stops after an idle spell', () => {
    const { result, rerender } = renderHook(({ text }) => useWriting(text), { initialProps: { text: 'an old draft' } });
    expect(result.current).toBe(false);
    rerender({ text: 'an old draft!' });
    expect(result.current).toBe(true);
    act(() => vi.advanceTimersByTime(WRITING_IDLE_MS - 1000));
    rerender({ text: 'an old draft!!' });
    act(() => vi.advanceTimersByTime(WRITING_IDLE_MS - 1000));
    expect(result.current).toBe(true);
    act(() => vi.advanceTimersByTime(1000));
    expect(result.current).toBe(false);
    rerender({ text: 'x' });
    expect(result.current).toBe(true);
    rerender({ text: '' });
    expect(result.current).toBe(false);
  });
});
