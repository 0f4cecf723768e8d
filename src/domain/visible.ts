/**
 * Characters that change how text looks rather than what it says: C0/C1
 * controls (a newline can fake a line on the admin card), line and paragraph
 * separators, zero-width characters and bidirectional overrides (which
 * reorder what an admin reads).
 */
// eslint-disable-next-line no-control-regex
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
// eslint-disable-next-line no-control-regex
const INVISIBLE_ALL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** True when `s` holds a character in INVISIBLE. */
export function hasInvisible(s: string): boolean {
  return INVISIBLE.test(s);
}

/** `s` with each INVISIBLE character written as \u{XXXX}, so it shows instead of acting. */
export function visible(s: string): string {
  return s.replace(INVISIBLE_ALL, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`);
}
