import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How carriers will count a text. */
export interface SmsSize {
  /** Characters as carriers count them: GSM-7 septets (€ { } count 2), or UCS-2 code units (emoji count 2). */
  units: number;
  segments: number;
  encoding: SmsEncoding;
  /** Most characters in one text on its own (160 GSM-7, 70 UCS-2). */
  singleLimit: number;
  /** Most characters per segment once the text is split (153 GSM-7, 67 UCS-2). */
  perSegment: number;
  /** Characters that count more than once, each listed once ("€", "{"). */
  wide: string[];
  /** Characters that forced UCS-2, each listed once. */
  unicode: string[];
}

const LIMITS: Record<SmsEncoding, { single: number; multi: number; bits: number }> = {
  'GSM-7': { single: 160, multi: 153, bits: 7 },
  'UCS-2': { single: 70, multi: 67, bits: 16 },
};

function unique(chars: string[]): string[] {
  return [...new Set(chars)];
}

/** Measures a text with Twilio's segment calculator (the way the carrier will split and bill it). */
export function measureSms(text: string): SmsSize {
  const message = new SegmentedMessage(text);
  const encoding = message.encodingName;
  const limits = LIMITS[encoding];
  const units = Math.round(message.messageSize / limits.bits);
  return {
    units,
    segments: units === 0 ? 0 : message.segmentsCount,
    encoding,
    singleLimit: limits.single,
    perSegment: limits.multi,
    wide: unique(message.encodedChars.filter((c) => c.codeUnits.length > 1).map((c) => c.raw)),
    unicode: unique(message.getNonGsmCharacters()),
  };
}
