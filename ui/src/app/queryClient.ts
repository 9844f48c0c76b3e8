import { QueryClient } from '@tanstack/react-query';

/** Backend calls are local IPC: errors are deterministic, so no retries and no focus refetch. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
}
