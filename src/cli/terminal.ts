/**
 * What the CLI may write to a terminal. Names, descriptions, uris, error messages, stderr lines,
 * resource and prompt text and tool results come from servers, and a terminal obeys the control
 * characters in them: ESC starts sequences that move the cursor, recolour, retitle the window or
 * (OSC 52) write the clipboard, CR overwrites the line just printed, C1 characters (U+0080–U+009F,
 * e.g. U+009B, a one-character CSI) do the same as ESC sequences on many terminals, and bidi
 * overrides make text read in another order than it is. Every human-readable line the CLI prints
 * goes through `terminalText` (tables through `format.ts`, which calls it per cell): such
 * characters are shown escaped, visibly (`\x1b`, `\u009b`). `--json` output goes through
 * `jsonText`, which stays exact JSON (the same value when parsed) with no raw control character.
 */

/** C0 controls but tab and line feed, DEL, C1, bidi marks, overrides and isolates, line and paragraph separators. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, tab and line feed included: for one-line places (table cells, names). */
const LINE_CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw that a terminal may obey (it already escapes C0). */
const JSON_CONTROLS = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** `\xHH` below U+0080 (and `\n`, `\t`, `\r`), `\uHHHH` above, the way JavaScript writes them. */
function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A server-controlled string made safe for a terminal. `multiline` (default false) keeps line
 * feeds and tabs, for text meant to span lines (resource and prompt text, tool results, stderr
 * lines); a CR before a line feed is dropped (a CRLF line end), any other CR is shown as `\r`.
 * Otherwise every line break and tab is shown escaped too (table cells, names).
 */
export function terminalText(text: string, options: { multiline?: boolean } = {}): string {
  if (options.multiline) return text.replace(/\r\n/g, '\n').replace(CONTROLS, visible);
  return text.replace(LINE_CONTROLS, visible);
}

/**
 * `JSON.stringify(value, null, indent)` (default indent 2) with the characters it leaves raw
 * and a terminal obeys (DEL, C1, bidi controls, U+2028/U+2029) written as `\uHHHH` escapes: they
 * occur only inside strings, so the document parses to exactly the same value.
 */
export function jsonText(value: unknown, indent = 2): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_CONTROLS, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
