import { shortName } from './shortName';
import './team.css';

/** "Ana R." on an outbound text or call, the full name on hover; nothing when unknown. */
export function SentBy({ name }: { name: string | null | undefined }) {
  if (!name || name.trim() === '') return null;
  return (
    <span className="sent-by" data-testid="sent-by" title={`Sent by ${name}`} dir="auto">
      {shortName(name)}
    </span>
  );
}
