import { useMutation, useQueryClient } from '@tanstack/react-query';
import { addPatient, editPatient, type PatientForm } from '../../platform';
import { threadKeys } from '../conversation/queries';
import { threadListKeys } from '../patients/queries';

/**
 * add_patient (patientId null) or edit_patient. The patient column and the patient's thread
 * (its bubbles name the numbers) reload, so the header and the To list show the change.
 */
export function useSavePatient(patientId: number | null) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (form: PatientForm) => (patientId === null ? addPatient(form) : editPatient(patientId, form)),
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
      void queryClient.invalidateQueries({ queryKey: threadKeys.newestOf(saved.id) });
    },
  });
}
