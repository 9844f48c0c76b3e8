import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  campaignAction,
  campaignReport,
  createCampaign,
  exportCampaignReport,
  listCampaigns,
  type CampaignAction,
  type CampaignForm,
  type CampaignStatus,
} from '../../platform';

export { useTemplates } from '../conversation/templates';

export const campaignKeys = {
  all: ['campaigns'] as const,
  list: ['campaigns', 'list'] as const,
  report: (id: number) => ['campaigns', 'report', id] as const,
};

/** Whether a campaign is sending or waiting to send: its progress moves. */
export function isActive(c: CampaignStatus): boolean {
  return c.state === 'running' || c.state === 'scheduled';
}

/** How often the list is asked again while a campaign moves (the engine's events also refresh it). */
const ACTIVE_REFRESH_MS = 2_000;

export function useCampaigns() {
  return useQuery({
    queryKey: campaignKeys.list,
    queryFn: listCampaigns,
    refetchInterval: (query) => (query.state.data?.some(isActive) ? ACTIVE_REFRESH_MS : false),
  });
}

export function useCreateCampaign() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (form: CampaignForm) => createCampaign(form),
    onSettled: () => queryClient.invalidateQueries({ queryKey: campaignKeys.all }),
  });
}

export function useCampaignAction() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: CampaignAction }) => campaignAction(id, action),
    onSettled: () => queryClient.invalidateQueries({ queryKey: campaignKeys.all }),
  });
}

export function useCampaignReport(id: number, enabled: boolean) {
  return useQuery({ queryKey: campaignKeys.report(id), queryFn: () => campaignReport(id), enabled });
}

export function useExportCampaignReport() {
  return useMutation({ mutationFn: (id: number) => exportCampaignReport(id) });
}
