/**
 * Edits of a JSON file as text: one member set or deleted, everything else left byte for byte as
 * it was (layout, key order, and the comments and trailing commas that VS Code's `mcp.json`
 * allows). Re-serializing the whole document would reformat the user's file; the `yaml` package's
 * Document API would write it back as YAML flow style (unquoted keys: no longer JSON).
 */

/** One parsed value with where it stands in the text (`end` is exclusive). */
export type JsonNode =
  | { kind: 'object'; start: number; end: number; members: JsonMember[] }
  | { kind: 'array' | 'scalar'; start: number; end: number };

/** One `"key": value` of an object; `comma` is the offset of the comma after it, or -1. */
export interface JsonMember {
  key: string;
  start: number;
  value: JsonNode;
  comma: number;
}

/** Text that is not JSON (or JSON with comments); `offset` is where the reading stopped. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Deeper than any config file nests; a hostile file must not exhaust the stack. */
const MAX_DEPTH = 200;

/** Parses JSON with comments and trailing commas into nodes with their ranges. */
export function parseJsonNodes(text: string): JsonNode {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(what, at);
  };
  const skip = () => {
    for (;;) {
      while (at < text.length && /\s/.test(text[at]!)) at++;
      if (text.startsWith('//', at)) {
        const end = text.indexOf('\n', at);
        at = end === -1 ? text.length : end + 1;
      } else if (text.startsWith('/*', at)) {
        const end = text.indexOf('*/', at + 2);
        if (end === -1) fail('unterminated comment');
        at = end + 2;
      } else return;
    }
  };
  const string = (): string => {
    const start = at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail('unterminated string');
    at++;
    try {
      return JSON.parse(text.slice(start, at)) as string;
    } catch {
      return fail('invalid string');
    }
  };
  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skip();
    const start = at;
    const ch = text[at];
    if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      const members: JsonMember[] = [];
      at++;
      for (;;) {
        skip();
        if (text[at] === close) break;
        let key = '';
        const memberStart = at;
        if (ch === '{') {
          if (text[at] !== '"') fail('expected a key');
          key = string();
          skip();
          if (text[at++] !== ':') fail('expected ":"');
        }
        const item = value(depth + 1);
        skip();
        const comma = text[at] === ',' ? at++ : -1;
        if (ch === '{') members.push({ key, start: memberStart, value: item, comma });
        if (comma === -1 && text[at] !== close) fail(`expected "," or "${close}"`);
      }
      at++;
      return ch === '{' ? { kind: 'object', start, end: at, members } : { kind: 'array', start, end: at };
    }
    if (ch === '"') {
      string();
      return { kind: 'scalar', start, end: at };
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 64));
    if (!literal) fail('expected a value');
    at += literal![0].length;
    return { kind: 'scalar', start, end: at };
  };
  skip();
  if (at >= text.length) fail('empty document');
  const root = value(0);
  skip();
  if (at < text.length) fail('text after the JSON value');
  return root;
}

/** The member `key` of an object node (the last one, as JSON.parse keeps the last duplicate). */
export function memberOf(node: JsonNode | undefined, key: string): JsonMember | undefined {
  if (node?.kind !== 'object') return undefined;
  return node.members.findLast((m) => m.key === key);
}

/** The node at `path` (object keys), or undefined. */
export function nodeAt(root: JsonNode, path: readonly string[]): JsonNode | undefined {
  let node: JsonNode | undefined = root;
  for (const key of path) node = memberOf(node, key)?.value;
  return node;
}

/** The whitespace that starts the line holding `offset`. */
function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** The file's indentation unit: the first indented line's whitespace, else two spaces. */
function indentUnit(text: string): string {
  return /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** `value` as JSON whose second and later lines start with `indent`. */
function render(value: unknown, indent: string, unit: string): string {
  return JSON.stringify(value, null, unit).replace(/\n/g, `\n${indent}`);
}

/** Replaces `[start, end)` of `text`. */
const splice = (text: string, start: number, end: number, insert: string) => text.slice(0, start) + insert + text.slice(end);

/**
 * `text` with the member at `path` set to `value`: its value replaced when it exists, else added
 * as the object's last member (with the missing objects on the way); an empty text becomes the
 * whole document, indented two spaces. Throws when a value on the path is not an object.
 */
export function setJsonMember(text: string, path: readonly string[], value: unknown): string {
  // A new (or empty) file: the whole document, indented two spaces, with a final newline.
  const source = text.trim() === '' ? '{}\n' : text;
  const root = parseJsonNodes(source);
  const unit = indentUnit(source);
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1]!;
  const parent = nodeAt(root, parentPath);
  if (parent === undefined) return setJsonMember(source, parentPath, { [key]: value });
  if (parent.kind !== 'object') throw new Error(`${parentPath.join('.') || 'the file'} is not a JSON object`);
  const existing = memberOf(parent, key);
  if (existing) return splice(source, existing.value.start, existing.value.end, render(value, indentAt(source, existing.start), unit));
  const last = parent.members[parent.members.length - 1];
  // An object written on one line (`{"a": 1}`) gets the new member on that line too; a file that
  // is only `{}` says nothing about its layout and gets its members indented, one a line.
  if (!source.slice(parent.start, parent.end).includes('\n') && (last || parent !== root)) {
    let end = parent.end - 1;
    while (end > parent.start + 1 && /\s/.test(source[end - 1]!)) end--;
    const compact = `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    return splice(source, end, end, last ? `${last.comma !== -1 && last.comma >= end - 1 ? ' ' : ', '}${compact}` : compact);
  }
  const outer = indentAt(source, parent.start);
  // A member on the line of its "{" (`{ "a": 1 }`) says nothing about indentation.
  const ownLine = last && source.slice(parent.start, last.start).includes('\n');
  const inner = ownLine ? indentAt(source, last.start) : outer + unit;
  const member = `${JSON.stringify(key)}: ${render(value, inner, unit)}`;
  // Before the closing brace, after whatever ends the last member's line (a comment stays on it).
  let close = parent.end - 1;
  while (close > parent.start + 1 && /\s/.test(source[close - 1]!)) close--;
  if (!last) {
    if (close === parent.start + 1) return splice(source, parent.start + 1, parent.end - 1, `\n${inner}${member}\n${outer}`);
    return splice(source, close, close, `\n${inner}${member}`);
  }
  const trailing = last.comma !== -1;
  const out = splice(source, close, close, `\n${inner}${member}${trailing ? ',' : ''}`);
  return trailing ? out : splice(out, last.value.end, last.value.end, ',');
}

/** `text` without the member at `path`; the same text when there is none. */
export function deleteJsonMember(text: string, path: readonly string[]): string {
  const root = parseJsonNodes(text);
  const parent = nodeAt(root, path.slice(0, -1));
  const member = memberOf(parent, path[path.length - 1]!);
  if (!member || parent?.kind !== 'object') return text;
  const index = parent.members.indexOf(member);
  const previous = parent.members[index - 1];
  const isLast = index === parent.members.length - 1;
  // From the start of its line (when only indentation precedes it) through its comma and the rest of a blank line.
  const lineStart = text.lastIndexOf('\n', member.start - 1) + 1;
  const start = /^[ \t]*$/.test(text.slice(lineStart, member.start)) ? lineStart : member.start;
  let end = member.comma !== -1 ? member.comma + 1 : member.value.end;
  // A comment after it on its line is its own: it goes with it.
  const rest = /^[ \t]*(?:\/\/[^\n]*)?\n/.exec(text.slice(end));
  if (rest && start === lineStart) end += rest[0].length;
  let out = splice(text, start, end, '');
  // The new last member keeps no comma (strict JSON), unless the file ends members with one.
  if (isLast && member.comma === -1 && previous && previous.comma !== -1) out = splice(out, previous.comma, previous.comma + 1, '');
  const emptied = parent.members.length === 1 ? parseJsonNodes(out) : undefined;
  const left = emptied ? nodeAt(emptied, path.slice(0, -1)) : undefined;
  if (left && /^\{\s*\}$/.test(out.slice(left.start, left.end))) out = splice(out, left.start, left.end, '{}');
  return out;
}
