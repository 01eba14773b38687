import { isAlias, isNode, isPair, isScalar, parseDocument, visit } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { formatPath } from './expand.js';
import { jsonErrorOffset } from './jsonPosition.js';

/**
 * Safe YAML/JSON parsing (DESIGN §3): no aliases or merge keys, no custom or unknown tags, no
 * `__proto__`/`constructor`/`prototype` keys, duplicate keys rejected, parser warnings are errors.
 */

/** Keys that could reach an object prototype through a naive merge. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const STANDARD_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);
/** Config files are small; anything larger is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function lineOf(text: string, offset: number | undefined): string {
  if (offset === undefined) return '';
  return ` (line ${text.slice(0, offset).split('\n').length})`;
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
  if (isJsonText(text, source)) return parseJson(text, source);
  const doc = parseDocument(text, { uniqueKeys: true, merge: false, prettyErrors: false, strict: true, schema: 'core' });
  const issues: ConfigIssue[] = [];
  for (const problem of [...doc.errors, ...doc.warnings]) {
    issues.push({ path: '', message: `${problem.message.split('\n')[0]}${lineOf(text, problem.pos?.[0])}` });
  }
  visit(doc, (_key, node, ancestry) => {
    const path = pathOf(ancestry);
    if (isAlias(node)) {
      issues.push({ path, message: `YAML aliases are not allowed (*${node.source})${lineOf(text, node.range?.[0])}` });
      return visit.SKIP;
    }
    if (isNode(node) && node.tag && !STANDARD_TAGS.has(node.tag)) {
      issues.push({ path, message: `YAML tag ${node.tag} is not allowed${lineOf(text, node.range?.[0])}` });
    }
    if (isNode(node) && 'anchor' in node && node.anchor) {
      issues.push({ path, message: `YAML anchors are not allowed (&${node.anchor})${lineOf(text, node.range?.[0])}` });
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

/** Rejects forbidden keys in data given directly as an object (not parsed from a file). */
export function findForbiddenKeys(value: unknown, path: (string | number)[] = [], issues: ConfigIssue[] = []): ConfigIssue[] {
  if (Array.isArray(value)) value.forEach((item, i) => findForbiddenKeys(item, [...path, i], issues));
  else if (value !== null && typeof value === 'object') {
    for (const key of Object.getOwnPropertyNames(value)) {
      if (FORBIDDEN_KEYS.has(key)) issues.push({ path: formatPath([...path, key]), message: `key "${key}" is not allowed` });
      else findForbiddenKeys((value as Record<string, unknown>)[key], [...path, key], issues);
    }
  }
  return issues;
}

/** `(line 3, column 5)` of a character offset, both counted from 1. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `(line ${before.length}, column ${before.at(-1)!.length + 1})`;
}

function parseJson(text: string, source: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
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
    throw new ConfigError([{ path: '', message: `invalid JSON: ${reason} ${lineAndColumn(body, offset)}` }], source);
  }
  // JSON.parse keeps the last of duplicate keys silently; the YAML parser (JSON is YAML) finds them.
  const issues = findForbiddenKeys(data);
  const doc = parseDocument(body, { uniqueKeys: true, merge: false, prettyErrors: false, schema: 'core' });
  for (const problem of doc.errors) {
    if (problem.code === 'DUPLICATE_KEY') issues.push({ path: '', message: `${problem.message.split('\n')[0]} ${lineAndColumn(body, problem.pos[0])}` });
  }
  if (issues.length > 0) throw new ConfigError(issues, source);
  return data;
}
