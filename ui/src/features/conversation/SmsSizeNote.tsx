import { plural } from '../../shared/plural';
import { measureSms, type SmsSize } from './segments';

function countLine(size: SmsSize): string {
  if (size.units === 0) return '0 characters';
  return `${plural(size.units, 'character')} · ${plural(size.segments, 'segment')} (${size.encoding})`;
}

function listChars(chars: string[]): string {
  const shown = chars.slice(0, 6).join(' ');
  return chars.length > 6 ? `${shown} …` : shown;
}

/** Why the text counts the way it does, when it is not plain GSM-7. */
function encodingNote(size: SmsSize): string | null {
  if (size.encoding === 'UCS-2') {
    return `Unicode (UCS-2) because of ${listChars(size.unicode)}: up to ${size.singleLimit} characters per text, emoji count 2.`;
  }
  if (size.wide.length > 0) return `${listChars(size.wide)} count as 2 characters each.`;
  return null;
}

/** What a long text costs: it goes out as several segments that the phone joins. */
function splitHint(size: SmsSize): string | null {
  if (size.segments < 2) return null;
  return `Over ${size.singleLimit} characters: it goes out as ${size.segments} segments of up to ${size.perSegment} characters, each billed as a text.`;
}

/** The live character and segment count under the composer, counted the way carriers do. */
export function SmsSizeNote({ text, id }: { text: string; id: string }) {
  const size = measureSms(text);
  const note = encodingNote(size);
  const hint = splitHint(size);
  return (
    <div className="sms-size" id={id}>
      <span data-testid="sms-count">{countLine(size)}</span>
      {note ? <span className="sms-size__note">{note}</span> : null}
      {hint ? (
        <span className="sms-size__hint" data-testid="sms-split-hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}
