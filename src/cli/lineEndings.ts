/**
 * Line endings of an edited file. The edits (yamlEdit.ts, jsonEdit.ts) work on LF text; a file
 * written with CRLF (on Windows) is edited as LF and given its CRLF back, so the new lines end
 * the way the file's own lines do. A byte-order mark stays where it is (the edits keep it).
 */

/** Whether every line break of `text` is CRLF (and there is at least one). */
export function isCrlf(text: string): boolean {
  return text.includes('\r\n') && !/(?:^|[^\r])\n/.test(text);
}

/**
 * `edit(text)` with the file's line endings: a CRLF file is edited as LF and written back with
 * CRLF. A file that mixes both is edited as it is (its lines are not rewritten; new lines get LF).
 */
export function keepingLineEndings(text: string, edit: (text: string) => string): string {
  if (!isCrlf(text)) return edit(text);
  return edit(text.replace(/\r\n/g, '\n')).replace(/\r?\n/g, '\r\n');
}
