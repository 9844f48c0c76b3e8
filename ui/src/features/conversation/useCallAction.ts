import { useState } from 'react';
import { errorMessage } from '../../platform';
import { usePlaceCall } from './queries';
import { callOutcomeProblem } from './states';

/** Places a call and keeps the last refusal or error as readable text. */
export function useCallAction(patientId: number) {
  const placeCall = usePlaceCall(patientId);
  const [problem, setProblem] = useState<string | null>(null);

  async function call(to: string) {
    setProblem(null);
    try {
      setProblem(callOutcomeProblem(await placeCall.mutateAsync(to)));
    } catch (error) {
      setProblem(errorMessage(error));
    }
  }

  return { call, calling: placeCall.isPending, problem };
}
