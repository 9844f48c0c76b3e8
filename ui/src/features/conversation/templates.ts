import { useQuery } from '@tanstack/react-query';
import { listTemplates, previewTemplate } from '../../platform';

export const templateKeys = {
  all: ['templates'] as const,
  preview: (patientId: number, name: string) => ['templates', 'preview', patientId, name] as const,
};

/** The templates, by name. */
export function useTemplates() {
  return useQuery({ queryKey: templateKeys.all, queryFn: listTemplates });
}

/** The template `name` merged for the patient; idle while no template is chosen. */
export function useTemplatePreview(patientId: number, name: string | null) {
  return useQuery({
    queryKey: templateKeys.preview(patientId, name ?? ''),
    queryFn: () => previewTemplate(patientId, name ?? ''),
    enabled: name !== null,
  });
}
