import { createContext, useContext } from 'react';
import type { TeamView } from '../../platform';

/** The team around the open conversation; null on a desk alone (nothing of the team shows). */
export const TeamContext = createContext<TeamView | null>(null);

export function useTeamContext(): TeamView | null {
  return useContext(TeamContext);
}
