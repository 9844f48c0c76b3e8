import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { importPatients, type ImportProgress } from '../../platform';
import { readFileText } from '../../shared/readFileText';

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
    // Even a failed import may have written some rows, so refresh either way. Patients show up
    // in the patient column, threads, counts and filters: every query reads again.
    onSettled: () => queryClient.invalidateQueries(),
  });

  return { mutation, progress };
}
