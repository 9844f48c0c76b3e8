import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { resetMockBackend } from '../platform/mockBackend';

afterEach(() => {
  // A few tests run in the node environment, without a DOM.
  if (typeof window === 'undefined') return;
  cleanup();
  resetMockBackend();
});
