/**
 * Text from servers that reaches a terminal or a log line: the characters it must not carry raw.
 */

/**
 * Characters a terminal obeys or that hide text, beyond C0 (each set below adds its C0 part): DEL
 * and C1; bidi marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–E, U+2066–9);
 * line and paragraph separators; and the invisible ones that make two names look alike or hide
 * text between visible letters: soft hyphen, combining grapheme joiner, Hangul and Khmer fillers,
 * Mongolian selectors, zero-width space and joiners, word joiner and invisible operators,
 * deprecated format characters, the BOM, interlinear annotation marks and the tag characters
 * (U+E0000–U+E007F). Emoji variation selectors stay: they only choose how an emoji is drawn.
 */
export const HIDDEN_CHARACTERS = String.raw`\x7f-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}`;
/** A character as JSON escapes (`\uHHHH`, a surrogate pair past U+FFFF): it parses back to itself. */
export function jsonEscape(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
