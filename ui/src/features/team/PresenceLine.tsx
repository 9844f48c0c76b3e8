import type { PresenceEntry } from '../../platform';
import { usePresence } from './queries';
import { shortName } from './shortName';

function words(entry: PresenceEntry): string {
  const who = shortName(entry.name) || entry.role;
  return entry.activity === 'writing' ? `${who} is writing…` : `${who} is viewing`;
}

/** "Ben O. is viewing" / "Ben O. is writing…": who else is in this thread now (team mode). */
export function PresenceLine({ patientId }: { patientId: number }) {
  const entries = (usePresence(true).data ?? []).filter((e) => e.patient_id === patientId && e.activity !== 'left');
  if (entries.length === 0) return null;
  return (
    <span className="presence" data-testid="presence" role="status">
      {entries.map((e) => (
        <span
          key={`${e.role}-${e.name}`}
          className={e.activity === 'writing' ? 'presence__who presence__who--writing' : 'presence__who'}
          title={`${e.name} (${e.role})`}
          dir="auto"
        >
          {words(e)}
        </span>
      ))}
    </span>
  );
}
