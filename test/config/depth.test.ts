import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, loadConfigFileSync, parseConfigText, resolveConfig } from '../../src/config/index.js';
import { MAX_CONFIG_DEPTH } from '../../src/config/depth.js';
import { createSwitchboard } from '../../src/index.js';
import { issuesOf } from './issues.js';

/**
 * Config nesting is bounded before anything recurses over it (issue 18): a 200 000-level file or
 * object is a ConfigError saying so, never `RangeError: Maximum call stack size exceeded`, and
 * never a stack overflow swallowed into a parser message.
 */

const N = 200_000;
const TOO_DEEP = /nested deeper than 100 levels/;
const dir = mkdtempSync(join(tmpdir(), 'sb-depth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `{ a: { a: … 1 } }`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** Texts of `levels` levels of nesting in every shape YAML and JSON allow. */
function deepTexts(levels: number): [string, string, string][] {
  const block = Array.from({ length: Math.min(levels, 1_400) }, (_, i) => `${' '.repeat(i + 1)}a:`).join('\n');
  return [
    ['JSON arrays', 'deep.json', `{"servers": {}, "x": ${'['.repeat(levels)}${']'.repeat(levels)}}`],
    ['JSON objects', 'deep.json', `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`],
    ['YAML flow lists', 'deep.yaml', `servers: {}\nx: ${'['.repeat(levels)}${']'.repeat(levels)}\n`],
    ['YAML flow maps', 'deep.yaml', `servers: {}\nx: ${'{a: '.repeat(levels)}1${'}'.repeat(levels)}\n`],
    ['YAML compact block lists', 'deep.yaml', `servers: {}\nx:\n  ${'- '.repeat(levels)}1\n`],
    ['YAML explicit keys', 'deep.yaml', `servers: {}\nx:\n  ${'? '.repeat(levels)}1\n`],
    ['YAML indented maps', 'deep.yaml', `servers: {}\nx:\n${block} 1\n`],
  ];
}

describe('deeply nested config', () => {
  it.each(deepTexts(N))('refuses %s 200 000 levels deep with a ConfigError placing the problem', (_shape, name, text) => {
    const issues = issuesOf(() => parseConfigText(text, name));
    expect(issues).toEqual([{ path: '', message: expect.stringMatching(/^nested deeper than 100 levels \(line \d+, column \d+\)$/) }]);
  });

  it('refuses a deep file read either way', async () => {
    const path = join(dir, 'deep.json');
    writeFileSync(path, deepTexts(N)[1]![2]);
    expect(issuesOf(() => loadConfigFileSync(path))[0]!.message).toMatch(TOO_DEEP);
    expect(await loadConfigFile(path).catch((e: { issues?: { message: string }[] }) => e.issues?.[0]?.message)).toMatch(TOO_DEEP);
  });

  it('accepts 100 levels and refuses 101, from text and from code alike', () => {
    const at = (levels: number) => ({ servers: {}, defaults: nested(levels - 1) });
    // 100 levels: only the schema's complaint about the unknown key, no nesting problem.
    for (const [text, name] of [[JSON.stringify(at(MAX_CONFIG_DEPTH)), 'ok.json'], [`servers: {}\ndefaults: ${JSON.stringify(nested(MAX_CONFIG_DEPTH - 1))}`, 'ok.yaml']] as const) {
      expect(issuesOf(() => resolveConfig(parseConfigText(text, name))).map((i) => i.message).join('\n')).not.toMatch(TOO_DEEP);
    }
    expect(issuesOf(() => resolveConfig(at(MAX_CONFIG_DEPTH))).map((i) => i.message).join('\n')).not.toMatch(TOO_DEEP);
    expect(issuesOf(() => parseConfigText(JSON.stringify(at(MAX_CONFIG_DEPTH + 1)), 'deep.json'))[0]!.message).toMatch(TOO_DEEP);
    expect(issuesOf(() => resolveConfig(at(MAX_CONFIG_DEPTH + 1)))).toEqual([{ path: `defaults${'.a'.repeat(MAX_CONFIG_DEPTH - 1)}`, message: expect.stringMatching(TOO_DEEP) }]);
  });

  it('refuses objects from code that are too deep, contain themselves or share parts without end', () => {
    expect(issuesOf(() => createSwitchboard({ servers: {}, defaults: nested(N) } as never))[0]!.message).toMatch(TOO_DEEP);
    expect(issuesOf(() => resolveConfig([nested(N)]))[0]!.message).toMatch(TOO_DEEP);
    const cyclic: Record<string, unknown> = { servers: {} };
    cyclic.defaults = { self: cyclic };
    expect(issuesOf(() => createSwitchboard(cyclic as never))[0]!.message).toMatch(/nested deeper than 100 levels \(or contains itself\)/);
    // 2^23 values behind 22 levels of sharing (60 would be 2^61): refused by count, not copied.
    let shared: unknown = 'x';
    for (let i = 0; i < 22; i++) shared = [shared, shared];
    expect(issuesOf(() => resolveConfig({ servers: {}, defaults: { tags: shared } }))).toEqual([{ path: '', message: expect.stringMatching(/holds more than \d+ values/) }]);
  });
});
