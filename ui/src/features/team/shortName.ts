/**
 * How a member shows on a message: "Ana Ruiz" → "Ana R.", "Ana María de la Cruz" → "Ana C.",
 * one word as it is. Blank names give "".
 */
export function shortName(full: string): string {
  const words = full.trim().split(/\s+/).filter(Boolean);
  const first = words[0];
  if (!first) return '';
  if (words.length === 1) return first;
  const last = words[words.length - 1] ?? '';
  const initial = Array.from(last)[0] ?? '';
  return `${first} ${initial.toLocaleUpperCase()}.`;
}
