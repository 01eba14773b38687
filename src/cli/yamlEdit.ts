import { Document, isMap, isScalar, isSeq, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { isDeepStrictEqual } from 'node:util';

/**
 * Sets or deletes one entry of a top-level map (`servers.<name>`, `mcpServers.<name>`) in YAML
 * text. The `yaml` Document API (parseDocument, setIn/deleteIn) decides what the result means;
 * where the map is written in block style (or is still empty: `servers: {}`), the change is
 * spliced into the text at the ranges the parser reports, so every other byte (aligned comments,
 * quoting, flow padding, blank lines) stays as the user wrote it; a removed entry takes the
 * comment lines right above it at its indentation (they are about it) with it. Where a splice
 * cannot be placed, or would not mean what setIn / deleteIn means (checked by parsing it), the
 * Document's own `toString` writes the file: comments and order kept, spacing normalized.
 */

const OPTIONS = { lineWidth: 0 } as const;

/** The start of the line holding `offset`. */
const lineStart = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;

/** `offset` moved past the rest of its line (and its line feed), unless it already starts a line. */
function lineEnd(text: string, offset: number): number {
  if (offset === 0 || text[offset - 1] === '\n') return offset;
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

/** The block map at `key` of the document's top level, with its pairs, when it is one. */
function blockMap(doc: Document, key: string): YAMLMap<unknown, unknown> | undefined {
  const node = doc.get(key, true);
  return isMap(node) && !node.flow && node.items.length > 0 && node.range ? node : undefined;
}

/** A pair's key offset, when the key stands first on its line (block style). */
function keyOffset(text: string, pair: Pair<unknown, unknown>): number | undefined {
  const key = pair.key;
  if (!isScalar(key) || !key.range) return undefined;
  const start = key.range[0];
  return /^[ \t]*$/.test(text.slice(lineStart(text, start), start)) ? start : undefined;
}

/** The end of a pair: past its value's last line, its inner trailing comments included. */
function pairEnd(text: string, pair: Pair<unknown, unknown>): number | undefined {
  const value = pair.value as { range?: [number, number, number] } | null;
  return value?.range ? lineEnd(text, value.range[2]) : undefined;
}

/** `name: value` as YAML lines at `indent`: args as a flow list, everything on one line when siblings are. */
function renderEntry(name: string, value: unknown, indent: string, unit: number, flow: boolean, padding: boolean): string {
  const doc = new Document({ [name]: value });
  const entry = (doc.contents as YAMLMap).items[0]!.value;
  if (isMap(entry)) {
    if (flow) entry.flow = true;
    for (const pair of entry.items) if (isSeq(pair.value)) pair.value.flow = true;
  }
  const text = doc.toString({ ...OPTIONS, indent: unit, flowCollectionPadding: padding });
  return text.replace(/\n$/, '').split('\n').map((line) => `${indent}${line}`).join('\n') + '\n';
}

/** Whether the file pads its flow collections (`{ a: 1 }`) more often than not (`{a: 1}`). */
function padsFlow(text: string): boolean {
  const padded = text.match(/(?<!\$)[[{] \S/g)?.length ?? 0;
  const tight = text.match(/(?<!\$)[[{][^\s\]}]/g)?.length ?? 0;
  return padded >= tight;
}

/** The splice when it parses to what `expected` means, else the Document's own rendering. */
function checked(spliced: string | undefined, expected: Document, padding: boolean): string {
  if (spliced !== undefined) {
    const result = parseDocument(spliced, { merge: false });
    if (result.errors.length === 0 && isDeepStrictEqual(result.toJS(), expected.toJS())) return spliced;
  }
  return expected.toString({ ...OPTIONS, flowCollectionPadding: padding });
}

/** `text` with `section.name` set to `value` (added as the map's last entry, or replaced where it is). */
export function setYamlEntry(text: string, section: string, name: string, value: unknown): string {
  const doc = parseDocument(text, { merge: false });
  const expected = parseDocument(text, { merge: false });
  // `servers:` with nothing under it is null, not a map to set into.
  const current = expected.get(section, true);
  if (current == null || (isScalar(current) && current.value === null)) expected.set(section, expected.createNode({ [name]: value }));
  else expected.setIn([section, name], expected.createNode(value));
  return checked(spliceSet(text, doc, section, name, value), expected, padsFlow(text));
}

function spliceSet(text: string, doc: Document, section: string, name: string, value: unknown): string | undefined {
  const padding = padsFlow(text);
  if (doc.contents !== null && !isMap(doc.contents)) return undefined;
  if (!doc.has(section)) {
    // A new top-level block at the end of the file.
    const body = renderEntry(name, value, '  ', 2, false, padding);
    return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${section}:\n${body}`;
  }
  const map = blockMap(doc, section);
  if (!map) return spliceIntoEmpty(text, doc, section, renderEntry(name, value, '  ', 2, false, padding));
  const first = keyOffset(text, map.items[0]!);
  if (first === undefined) return undefined;
  const indent = text.slice(lineStart(text, first), first);
  const sectionKey = doc.contents && isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === section)?.key : undefined;
  const unit = Math.max(1, indent.length - (isScalar(sectionKey) && sectionKey.range ? sectionKey.range[0] - lineStart(text, sectionKey.range[0]) : 0));
  const flow = map.items.every((p) => isMap(p.value) && p.value.flow);
  const entry = renderEntry(name, value, indent, unit, flow, padding);
  const index = map.items.findIndex((p) => isScalar(p.key) && p.key.value === name);
  if (index !== -1) {
    const pair = map.items[index]!;
    const start = keyOffset(text, pair);
    const end = pairEnd(text, pair);
    if (start === undefined || end === undefined) return undefined;
    return text.slice(0, lineStart(text, start)) + entry + text.slice(trimTrailing(text, lineStart(text, start), end));
  }
  const last = map.items[map.items.length - 1]!;
  const lastStart = keyOffset(text, last);
  const end = pairEnd(text, last);
  if (lastStart === undefined || end === undefined) return undefined;
  const at = trimTrailing(text, lastStart, end);
  const head = text.slice(0, at);
  // Entries separated by blank lines get one more.
  const previous = map.items[map.items.length - 2];
  const previousEnd = previous ? pairEnd(text, previous) : undefined;
  const spaced = previousEnd !== undefined && /^\s*\n\s*\n/.test(text.slice(previousEnd - 1, lineStart(text, lastStart)));
  return `${head}${head.endsWith('\n') ? '' : '\n'}${spaced ? '\n' : ''}${entry}${text.slice(at)}`;
}

/**
 * `servers: {}`, `servers: null` or a bare `servers:` turned into a block holding `entry` (rendered
 * at two spaces): the empty value goes, a comment on the key's line stays, and so do the comment
 * lines under it (the entry follows them).
 */
function spliceIntoEmpty(text: string, doc: Document, section: string, entry: string): string | undefined {
  const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === section) : undefined;
  const key = pair?.key;
  if (!isScalar(key) || !key.range || keyOffset(text, pair!) === undefined) return undefined;
  const value = pair!.value;
  const empty = value === null || (isScalar(value) && value.value === null) || (isMap(value) && value.flow && value.items.length === 0);
  if (!empty) return undefined;
  let out = text;
  let after = key.range[1];
  const range = (value as { range?: [number, number, number] } | null)?.range;
  if (range && range[1] > range[0]) {
    let start = range[0];
    while (start > 0 && out[start - 1] === ' ') start--;
    out = out.slice(0, start) + out.slice(range[1]);
    after = start;
  }
  const indent = text.slice(lineStart(text, key.range[0]), key.range[0]);
  let at = lineEnd(out, after);
  // Comment lines under the key, indented deeper than it, are the section's (`# none yet`): the
  // entry goes after them. A comment at the key's indentation belongs to what follows; it stays below.
  const deeper = new RegExp(`^${indent}[ \\t]+#[^\\n]*(?:\\n|$)`);
  for (let line = deeper.exec(out.slice(at)); line && line[0] !== ''; line = deeper.exec(out.slice(at))) at += line[0].length;
  const head = out.slice(0, at);
  const body = entry.split('\n').map((line) => (line ? `${indent}${line}` : line)).join('\n');
  return `${head}${head.endsWith('\n') ? '' : '\n'}${body}${out.slice(at)}`;
}

/** The end of the last line in `[start, end)` that holds more than whitespace (trailing blank lines stay after an insert). */
function trimTrailing(text: string, start: number, end: number): number {
  let at = end;
  while (at > start) {
    const from = lineStart(text, at - 1);
    if (text.slice(from, at).trim() !== '') break;
    at = from;
  }
  return at;
}

/** `text` without `section.name`; the same text when there is none. */
export function deleteYamlEntry(text: string, section: string, name: string): string {
  const doc = parseDocument(text, { merge: false });
  if (!doc.hasIn([section, name])) return text;
  const expected = parseDocument(text, { merge: false });
  expected.deleteIn([section, name]);
  return checked(spliceDelete(text, doc, section, name), expected, padsFlow(text));
}

function spliceDelete(text: string, doc: Document, section: string, name: string): string | undefined {
  const map = blockMap(doc, section);
  const pair = map?.items.find((p) => isScalar(p.key) && p.key.value === name);
  if (!map || !pair) return undefined;
  const start = keyOffset(text, pair);
  const end = pairEnd(text, pair);
  if (start === undefined || end === undefined) return undefined;
  let from = lineStart(text, start);
  // Comment lines right above it, at its indentation, are about it: they go with it.
  const indent = text.slice(from, start);
  while (from > 0) {
    const above = lineStart(text, from - 1);
    if (!text.slice(above, from).startsWith(`${indent}#`)) break;
    from = above;
  }
  let to = trimTrailing(text, start, end);
  // Entries separated by blank lines: the one before the removed entry stays, the one after goes.
  if (map.items[0] === pair || /(^|\n)[ \t]*\n$/.test(text.slice(0, from))) to += /^([ \t]*\n)?/.exec(text.slice(to))![0].length;
  const out = text.slice(0, from) + text.slice(to);
  if (map.items.length > 1) return out;
  // The last entry gone: `servers: {}` (the key stays, with any comment on its line).
  const key = (doc.contents as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === section)?.key;
  if (!isScalar(key) || !key.range) return undefined;
  const colon = out.indexOf(':', key.range[1]);
  return colon === -1 || colon >= from ? undefined : `${out.slice(0, colon + 1)} {}${out.slice(colon + 1)}`;
}
