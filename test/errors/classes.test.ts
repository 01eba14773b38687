import { describe, expect, expectTypeOf, it } from 'vitest';
import * as root from '../../src/index.js';
import {
  AmbiguousPromptError, AmbiguousResourceError, AmbiguousToolError, ConfigError, ERROR_CLASSES, ERROR_TABLE, isSwitchboardError,
  ServerUnavailableError, SwitchboardError, ToolNotFoundError, type ConfigIssue, type ErrorCode, type SwitchboardErrorOf,
} from '../../src/index.js';

/**
 * One class per code (DESIGN §18): an error with a code is an instance of that code's class,
 * however it was built, and `isSwitchboardError(e, code)` narrows to the class and its fields.
 */

const CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

describe('error classes', () => {
  it('has a class for every code of ERROR_TABLE, exported from the package root under its error name', () => {
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      const Class = ERROR_CLASSES[code];
      const name = code.endsWith('Error') ? code : `${code}Error`;
      expect(Class.name, code).toBe(name);
      expect((root as Record<string, unknown>)[name], `${name} exported from src/index.ts`).toBe(Class);
    }
  });

  it('makes the code\'s class when an error is built through the base class', () => {
    for (const code of CODES) {
      const error = new SwitchboardError(code, `a ${code}`, { retryAfterMs: 5 });
      expect(error, code).toBeInstanceOf(ERROR_CLASSES[code]);
      expect(error).toBeInstanceOf(SwitchboardError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(ERROR_CLASSES[code].name);
      expect(error.code).toBe(code);
      expect(error.message).toBe(`a ${code}`);
      expect(error.retryAfterMs).toBe(5);
      expect(String(error.stack)).toContain(`a ${code}`);
    }
  });

  it('keeps the cause and leaves the fields a base-built error cannot know empty', () => {
    const cause = new Error('underneath');
    const ambiguous = new SwitchboardError('AmbiguousResource', 'two owners', { cause });
    expect(ambiguous.cause).toBe(cause);
    expect(ambiguous).toBeInstanceOf(AmbiguousResourceError);
    expect((ambiguous as AmbiguousResourceError).servers).toEqual([]);
    expect((new SwitchboardError('ConfigError', 'from a remote service') as ConfigError).issues).toEqual([]);
  });

  it('leaves a code outside the table on the base class', () => {
    const error = new SwitchboardError('HTTP' as ErrorCode, 'HTTP 418');
    expect(error.constructor).toBe(SwitchboardError);
    expect(new SwitchboardError('constructor' as ErrorCode, 'x').constructor).toBe(SwitchboardError);
  });

  it('sets the fields of each class from its own constructor', () => {
    expect(new AmbiguousToolError('echo', ['a', 'b']).servers).toEqual(['a', 'b']);
    const prompt = new AmbiguousPromptError('greet', ['a', 'b']);
    expect([prompt.servers, prompt.message]).toEqual([['a', 'b'], 'prompt "greet" exists on servers "a" and "b"; use "<server>__greet" or { server }']);
    expect(new AmbiguousResourceError('res://x', ['a', 'b']).servers).toEqual(['a', 'b']);
    expect(new ConfigError([{ path: 'servers.a.url', message: 'bad' }]).issues).toEqual([{ path: 'servers.a.url', message: 'bad' }]);
    const down = new ServerUnavailableError('down', { retryAfterMs: 250 });
    expect([down.code, down.retryAfterMs, down.name]).toEqual(['ServerUnavailable', 250, 'ServerUnavailableError']);
  });
});

describe('isSwitchboardError', () => {
  it('checks the code when given one, and any switchboard error without', () => {
    const error = new AmbiguousToolError('echo', ['a', 'b']);
    expect(isSwitchboardError(error)).toBe(true);
    expect(isSwitchboardError(error, 'AmbiguousTool')).toBe(true);
    expect(isSwitchboardError(error, 'AmbiguousPrompt')).toBe(false);
    expect(isSwitchboardError(new Error('plain'))).toBe(false);
    expect(isSwitchboardError(new Error('plain'), 'AmbiguousTool')).toBe(false);
    expect(isSwitchboardError({ code: 'AmbiguousTool' }, 'AmbiguousTool')).toBe(false);
    expect(isSwitchboardError(null, 'Stopped')).toBe(false);
  });

  it('recognises an error of another copy of the package by its brand and code', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('mcp-switchboard.error')]: true, code: 'ToolNotFound' });
    expect(isSwitchboardError(foreign, 'ToolNotFound')).toBe(true);
    expect(isSwitchboardError(foreign, 'ServerNotFound')).toBe(false);
  });

  it('narrows to the class of the code with its fields', () => {
    const caught: unknown = new AmbiguousToolError('echo', ['a', 'b']);
    if (isSwitchboardError(caught, 'AmbiguousTool')) {
      expectTypeOf(caught).toEqualTypeOf<AmbiguousToolError>();
      expectTypeOf(caught.servers).toEqualTypeOf<string[]>();
      expect(caught.servers).toEqual(['a', 'b']);
    } else {
      expect.unreachable('an AmbiguousToolError has the code AmbiguousTool');
    }
    expectTypeOf<SwitchboardErrorOf<'AmbiguousPrompt'>['servers']>().toEqualTypeOf<string[]>();
    expectTypeOf<SwitchboardErrorOf<'AmbiguousResource'>['servers']>().toEqualTypeOf<string[]>();
    expectTypeOf<SwitchboardErrorOf<'ConfigError'>['issues']>().toEqualTypeOf<ConfigIssue[]>();
    expectTypeOf<SwitchboardErrorOf<'ServerUnavailable'>['retryAfterMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SwitchboardErrorOf<'ToolNotFound'>>().toEqualTypeOf<ToolNotFoundError>();
    expectTypeOf<SwitchboardErrorOf<'ToolNotFound'>['code']>().toEqualTypeOf<'ToolNotFound'>();
    expectTypeOf<SwitchboardErrorOf<'ToolNotFound'>>().not.toHaveProperty('servers');
  });
});
