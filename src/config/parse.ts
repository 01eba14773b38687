import { isAlias, isNode, isPair, isScalar, parseDocument, visit } from 'yaml';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { checkConfigValue, TOO_DEEP, tooDeepOffset } from './depth.js';
import { formatPath } from './path.js';
import { jsonErrorOffset } from './jsonPosition.js';

/**
 * Safe YAML/JSON parsing (DESIGN §3): no aliases or merge keys, no custom or unknown tags, no
 * `__proto__`/`constructor`/`prototype` keys, duplicate keys rejected, parser warnings are errors,
 * at most MAX_CONFIG_BYTES and MAX_CONFIG_DEPTH levels of nesting (checked before anything recurses).
 */

/** Keys that could reach an object prototype through a naive merge. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const STANDARD_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);
/** Config files are small: one over 4 MiB is a mistake or an attack (and is read no further than that). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Line and column of offsets in one text, found by binary search over its line starts: a file
 * with thousands of problems must not be split into lines once per problem.
 */
function positions(text: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (!starts) {
      starts = [0];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let [low, high] = [0, starts.length - 1];
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  };
}

/** JSON when the file says so (`.json`) or the text opens with `{`; YAML otherwise. */
export function isJsonText(text: string, source: string): boolean {
  return /\.json$/i.test(source) || text.trimStart().startsWith('{');
}

/**
 * Parses YAML or JSON text into plain data, or throws one ConfigError listing every problem.
 * JSON is parsed as JSON (a trailing comma is an error, not YAML that happens to pass).
 */
export function parseConfigText(text: string, source = 'config'): unknown {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new ConfigError([{ path: '', message: `file is larger than ${MAX_CONFIG_BYTES} bytes` }], source);
  }
  const at = positions(text);
  const lineOf = (offset: number | undefined) => (offset === undefined ? '' : ` (line ${at(offset).line})`);
  const deep = tooDeepOffset(text);
  if (deep !== -1) {
    const { line, column } = at(deep);
    throw new ConfigError([{ path: '', message: `${TOO_DEEP} (line ${line}, column ${column})` }], source);
  }
  if (isJsonText(text, source)) return parseJson(text, source);
  const doc = parseDocument(text, { uniqueKeys: true, merge: false, prettyErrors: false, strict: true, schema: 'core' });
  const issues: ConfigIssue[] = [];
  for (const problem of [...doc.errors, ...doc.warnings]) {
    issues.push({ path: '', message: `${problem.message.split('\n')[0]}${lineOf(problem.pos?.[0])}` });
  }
  visit(doc, (_key, node, ancestry) => {
    const path = pathOf(ancestry);
    if (isAlias(node)) {
      issues.push({ path, message: `YAML aliases are not allowed (*${node.source})${lineOf(node.range?.[0])}` });
      return visit.SKIP;
    }
    if (isNode(node) && node.tag && !STANDARD_TAGS.has(node.tag)) {
      issues.push({ path, message: `YAML tag ${node.tag} is not allowed${lineOf(node.range?.[0])}` });
    }
    if (isNode(node) && 'anchor' in node && node.anchor) {
      issues.push({ path, message: `YAML anchors are not allowed (&${node.anchor})${lineOf(node.range?.[0])}` });
    }
    if (isPair(node) && isScalar(node.key) && FORBIDDEN_KEYS.has(String(node.key.value))) {
      issues.push({ path: formatPath([...pathSegments(ancestry), String(node.key.value)]), message: `key "${String(node.key.value)}" is not allowed` });
    }
    return undefined;
  });
  if (issues.length > 0) throw new ConfigError(issues, source);
  return doc.toJS({ maxAliasCount: 0 }) ?? {};
}

function pathSegments(ancestry: readonly unknown[]): string[] {
  const segments: string[] = [];
  for (const item of ancestry) {
    if (isPair(item) && isScalar(item.key)) segments.push(String(item.key.value));
  }
  return segments;
}

function pathOf(ancestry: readonly unknown[]): string {
  return formatPath(pathSegments(ancestry));
}

/**
 * Rejects forbidden keys, and nesting deeper than MAX_CONFIG_DEPTH (or a value that contains
 * itself), in config data parsed from a file or given directly as an object. Never recurses.
 */
export function findForbiddenKeys(value: unknown): ConfigIssue[] {
  return checkConfigValue(value, FORBIDDEN_KEYS);
}

function parseJson(text: string, source: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const at = positions(body);
  /** `(line 3, column 5)` of a character offset, both counted from 1. */
  const lineAndColumn = (offset: number) => {
    const { line, column } = at(offset);
    return `(line ${line}, column ${column})`;
  };
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    // V8 says "... in JSON at position 42", or "Unexpected token 'x', "…" is not valid JSON" with
    // no position at all (newer versions add "(line 3 column 5)"): say it one way, always placed.
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : jsonErrorOffset(body);
    const reason = message
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/ in JSON at position \d+/, '')
      .replace(/ after JSON at position \d+/, ' after the JSON value')
      .replace(/^(Unexpected token '.*?'),[\s\S]* is not valid JSON$/, '$1');
    throw new ConfigError([{ path: '', message: `invalid JSON: ${reason} ${lineAndColumn(offset)}` }], source);
  }
  // JSON.parse keeps the last of duplicate keys silently; the YAML parser (JSON is YAML) finds them.
  const issues = findForbiddenKeys(data);
  const doc = parseDocument(body, { uniqueKeys: true, merge: false, prettyErrors: false, schema: 'core' });
  for (const problem of doc.errors) {
    if (problem.code === 'DUPLICATE_KEY') issues.push({ path: '', message: `${problem.message.split('\n')[0]} ${lineAndColumn(problem.pos[0])}` });
  }
  if (issues.length > 0) throw new ConfigError(issues, source);
  return data;
}
