import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AmbiguousToolError, ConfigError, ERROR_TABLE, isSwitchboardError, ruleOf, SwitchboardError, toErrorInfo, type ErrorCode, type ErrorRule } from '../../src/core/errors.js';

/** One parsed row of the README's error table. */
interface ReadmeRow {
  codes: string[];
  rule: ErrorRule;
}

const BREAKER_WORDS: Record<string, ErrorRule['breaker']> = { success: 'success', failure: 'failure', ignored: 'ignored', 'not recorded': 'not recorded', '—': null };

/**
 * The rows of the table under "### Errors" whose first cell names codes (in backticks, several
 * per row allowed); a row such as "a result with `isError: true`" names no code and is skipped.
 */
function readmeErrorRows(markdown: string): ReadmeRow[] {
  const section = /^### Errors\n([\s\S]*?)(?=^#{1,3} )/m.exec(markdown)?.[1];
  if (!section) throw new Error('README.md has no "### Errors" section');
  const lines = section.split('\n').filter((l) => l.trim().startsWith('|'));
  const header = cells(lines[0]!);
  expect(header).toEqual(['code', 'when', 'HTTP', 'breaker', 'CLI exit']);
  const rows: ReadmeRow[] = [];
  for (const line of lines.slice(2)) {
    const [codeCell, , http, breaker, exit] = cells(line);
    if (!/^`[A-Za-z]+`(\s*,\s*`[A-Za-z]+`)*$/.test(codeCell!)) continue;
    const codes = [...codeCell!.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!);
    const status = /^(\d{3})( \+ Retry-After)?$/.exec(http!);
    if (!status) throw new Error(`cannot read the HTTP cell "${http}" of ${codeCell}`);
    if (!Object.hasOwn(BREAKER_WORDS, breaker!)) throw new Error(`cannot read the breaker cell "${breaker}" of ${codeCell}`);
    if (!/^\d+$/.test(exit!)) throw new Error(`cannot read the CLI exit cell "${exit}" of ${codeCell}`);
    rows.push({ codes, rule: { status: Number(status[1]), retryAfter: status[2] !== undefined, breaker: BREAKER_WORDS[breaker!]!, exit: Number(exit) } });
  }
  return rows;
}

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe('the README error table', () => {
  it('parses codes, statuses, Retry-After, breaker words and exits', () => {
    const sample = [
      '### Errors',
      '',
      '| code | when | HTTP | breaker | CLI exit |',
      '| --- | --- | --- | --- | --- |',
      '| `A`, `B` | x | 404 | — | 1 |',
      '| `C` | y | 503 + Retry-After | not recorded | 130 |',
      '| a result with `isError: true` | z | 200, result as is | success | 1 |',
      '',
      '## Next',
    ].join('\n');
    expect(readmeErrorRows(sample)).toEqual([
      { codes: ['A', 'B'], rule: { status: 404, retryAfter: false, breaker: null, exit: 1 } },
      { codes: ['C'], rule: { status: 503, retryAfter: true, breaker: 'not recorded', exit: 130 } },
    ]);
  });

  it('gives every code the status, Retry-After, breaker outcome and exit of ERROR_TABLE', () => {
    const mismatches: string[] = [];
    for (const row of readmeErrorRows(readme)) {
      for (const code of row.codes) {
        const rule = Object.hasOwn(ERROR_TABLE, code) ? ERROR_TABLE[code as ErrorCode] : undefined;
        if (!rule) mismatches.push(`${code}: in the README but not in ERROR_TABLE`);
        else if (JSON.stringify(rule) !== JSON.stringify({ ...rule, ...row.rule })) mismatches.push(`${code}: README ${JSON.stringify(row.rule)}, ERROR_TABLE ${JSON.stringify(rule)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('lists every code of ERROR_TABLE', () => {
    const documented = new Set(readmeErrorRows(readme).flatMap((r) => r.codes));
    expect(Object.keys(ERROR_TABLE).filter((code) => !documented.has(code))).toEqual([]);
  });
});

describe('SwitchboardError', () => {
  it('carries its code, cause and retry hint', () => {
    const cause = new Error('root');
    const error = new SwitchboardError('CircuitOpen', 'open', { cause, retryAfterMs: 1500 });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('CircuitOpen');
    expect(error.cause).toBe(cause);
    expect(error.retryAfterMs).toBe(1500);
    expect(new SwitchboardError('Stopped', 'x').retryAfterMs).toBeUndefined();
    expect(ruleOf('Cancelled')).toEqual({ status: 499, retryAfter: false, breaker: 'ignored', exit: 130 });
  });

  it('is recognized by isSwitchboardError, also from another copy of the package, and nothing else is', () => {
    expect(isSwitchboardError(new SwitchboardError('ToolNotFound', 'x'))).toBe(true);
    expect(isSwitchboardError(new ConfigError([{ path: 'servers.a', message: 'bad' }]))).toBe(true);
    expect(isSwitchboardError(new AmbiguousToolError('echo', ['a', 'b']))).toBe(true);
    // Another copy of the package brands its errors with the same registered symbol.
    const foreign = Object.assign(new Error('x'), { code: 'Stopped', [Symbol.for('mcp-switchboard.error')]: true });
    expect(isSwitchboardError(foreign)).toBe(true);
    for (const other of [new Error('x'), Object.assign(new Error('x'), { code: 'Stopped' }), { code: 'Stopped' }, null, undefined, 'Stopped', 42]) {
      expect(isSwitchboardError(other)).toBe(false);
    }
  });

  it('keeps the details of its subclasses', () => {
    const config = new ConfigError([{ path: 'servers.a.url', message: 'not a URL' }, { path: '', message: 'empty' }], 'switchboard.yaml');
    expect(config.code).toBe('ConfigError');
    expect(config.issues).toHaveLength(2);
    expect(config.message).toContain('in switchboard.yaml (2 problems)');
    expect(config.message).toContain('servers.a.url: not a URL');
    expect(config.message).toContain('(root): empty');
    const ambiguous = new AmbiguousToolError('echo', ['a', 'b']);
    expect(ambiguous.code).toBe('AmbiguousTool');
    expect(ambiguous.servers).toEqual(['a', 'b']);
    expect(ambiguous.message).toContain('"a" and "b"');
  });
});

describe('toErrorInfo', () => {
  it('gives the code, message and retry hint of a SwitchboardError', () => {
    expect(toErrorInfo(new SwitchboardError('ServerBusy', 'full', { retryAfterMs: 1000 }))).toEqual({ code: 'ServerBusy', message: 'full', retryAfterMs: 1000 });
    expect(toErrorInfo(new SwitchboardError('Stopped', 'bye'))).toEqual({ code: 'Stopped', message: 'bye' });
  });

  it('uses the code of a Node error, else the error name, else Error', () => {
    expect(toErrorInfo(Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' }))).toEqual({ code: 'ENOENT', message: 'spawn x ENOENT' });
    expect(toErrorInfo(Object.assign(new Error('rpc'), { code: -32603 }))).toEqual({ code: '-32603', message: 'rpc' });
    expect(toErrorInfo(new TypeError('bad'))).toEqual({ code: 'TypeError', message: 'bad' });
    expect(toErrorInfo('plain text')).toEqual({ code: 'Error', message: 'plain text' });
    expect(toErrorInfo(undefined)).toEqual({ code: 'Error', message: 'undefined' });
  });

  it('gives plain JSON that survives a round trip', () => {
    const info = toErrorInfo(new SwitchboardError('ConnectionLost', 'gone', { cause: new Error('socket'), retryAfterMs: 5 }));
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    expect(Object.keys(info).sort()).toEqual(['code', 'message', 'retryAfterMs']);
  });
});
