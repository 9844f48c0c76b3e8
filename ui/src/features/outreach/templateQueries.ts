import { useMutation, useQueryClient } from '@tanstack/react-query';
import { addTemplate, editTemplate, removeTemplate } from '../../platform';
import { templateKeys } from '../conversation/templates';

export { useTemplates } from '../conversation/templates';

/** Add or change a template; the lists and previews read them again. */
export function useSaveTemplate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, text, isNew }: { name: string; text: string; isNew: boolean }) =>
      isNew ? addTemplate(name, text) : editTemplate(name, text),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: templateKeys.all }),
  });
}

export function useRemoveTemplate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => removeTemplate(name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: templateKeys.all }),
  });
}
