import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { importPatients, type ImportProgress } from '../../platform';
import { readFileText } from '../../shared/readFileText';
import { appInfoKeys } from '../app-info/queries';
import { patientKeys } from '../patients/queries';

/** Imports a roster file, exposing streamed progress next to the mutation state. */
export function useImportPatients() {
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<ImportProgress | null>(null);

  const mutation = useMutation({
    mutationFn: async (file: File) => {
      setProgress(null);
      const content = await readFileText(file);
      return importPatients(file.name, content, setProgress);
    },
    // Even a failed import may have written some rows, so refresh either way.
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: patientKeys.all }),
        queryClient.invalidateQueries({ queryKey: appInfoKeys.all }),
      ]),
  });

  return { mutation, progress };
}
