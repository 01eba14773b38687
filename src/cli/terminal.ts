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

import { HIDDEN_CHARACTERS, jsonEscape } from '../core/index.js';

/** C0 controls but tab and line feed, and every hidden character. */
const CONTROLS = new RegExp(String.raw`[\x00-\x08\x0b-\x1f${HIDDEN_CHARACTERS}]`, 'gu');
/** The same, tab and line feed included: for one-line places (table cells, names). */
const LINE_CONTROLS = new RegExp(String.raw`[\x00-\x1f${HIDDEN_CHARACTERS}]`, 'gu');
/** What JSON.stringify leaves raw that a terminal may obey or that hides text (it already escapes C0). */
const JSON_CONTROLS = new RegExp(`[${HIDDEN_CHARACTERS}]`, 'gu');

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** `\xHH` below U+0080 (and `\n`, `\t`, `\r`), `\uHHHH` above, `\u{HHHHH}` past U+FFFF, the way JavaScript writes them. */
function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
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
 * and a terminal obeys or that hide text (`HIDDEN_CHARACTERS`) written as `\uHHHH` escapes: they
 * occur only inside strings, so the document parses to exactly the same value.
 */
export function jsonText(value: unknown, indent = 2): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_CONTROLS, jsonEscape);
}
