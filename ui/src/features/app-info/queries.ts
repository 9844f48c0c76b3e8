import { useQuery } from '@tanstack/react-query';
import { appInfo } from '../../platform';

export const appInfoKeys = {
  all: ['app-info'] as const,
};

/** Version, mode, user and patient count shown in the shell. */
export function useAppInfo() {
  return useQuery({ queryKey: appInfoKeys.all, queryFn: appInfo });
}
