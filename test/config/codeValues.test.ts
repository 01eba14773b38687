import { describe, expect, it } from 'vitest';
import { expandVariables, resolveConfig } from '../../src/config/index.js';
import { MAX_CONFIG_VALUES } from '../../src/config/depth.js';
import { createSwitchboard } from '../../src/index.js';
import { issuesOf } from './issues.js';

/**
 * A config given as an object from code is checked before anything iterates it (issue 18
 * follow-up): a list whose length alone is over the value budget (`a.length = 2 ** 32 - 1`
 * holds no item and costs nothing to make) is a ConfigError at once naming its key path, never
 * `RangeError: Invalid array length` after gigabytes; what later steps see is a plain copy.
 */

const HUGE = /holds \d+ entries, more than the \d+ values a config may hold/;

/** A list of `length` holes. */
function sparse(length: number): unknown[] {
  const list: unknown[] = [];
  list.length = length;
  return list;
}

describe('lists and maps from code larger than the value budget', () => {
  it.each([2 ** 32 - 1, 2 ** 31, MAX_CONFIG_VALUES + 1])('refuses a list of %d holes at once, naming its path, wherever it appears', async (length) => {
    const started = Date.now();
    const list = sparse(length);
    expect(issuesOf(() => createSwitchboard({ servers: { a: { command: 'x', args: list } } } as never))).toEqual([{ path: 'servers.a.args', message: expect.stringMatching(HUGE) }]);
    expect(issuesOf(() => resolveConfig({ mcpServers: { a: { command: 'x', autoApprove: list } } }))).toEqual([{ path: 'mcpServers.a.autoApprove', message: expect.stringMatching(HUGE) }]);
    expect(issuesOf(() => resolveConfig({ servers: {}, defaults: { timeouts: list } }))).toEqual([{ path: 'defaults.timeouts', message: expect.stringMatching(HUGE) }]);
    expect(issuesOf(() => resolveConfig(list))).toEqual([{ path: '', message: expect.stringMatching(HUGE) }]);
    const sb = createSwitchboard({ servers: {} });
    try {
      const reload = await sb.reload({ servers: { a: { command: 'x', env: { A: 'b' }, args: ['ok', list] } } } as never).then(() => undefined, (error: unknown) => error);
      expect(reload).toMatchObject({ name: 'ConfigError', issues: [{ path: 'servers.a.args[1]', message: expect.stringMatching(HUGE) }] });
      const add = await Promise.resolve()
        .then(() => sb.addServer('b', { command: 'x', args: list } as never))
        .then(() => undefined, (error: unknown) => error);
      expect(add).toMatchObject({ name: 'ConfigError', issues: [{ path: 'servers.b.args', message: expect.stringMatching(HUGE) }] });
    } finally {
      await sb.stop();
    }
    // Bound only to prove nothing walks the holes (before the fix: 6.7 s and 1.7 GB, then a RangeError).
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('expands variables in a direct call without walking a huge list or recursing into a deep one', () => {
    const issues: { path: string; message: string }[] = [];
    const value = { a: sparse(2 ** 32 - 1) };
    expect(expandVariables(value, {}, issues, ['servers', 'x'])).toBe(value);
    expect(issues).toEqual([{ path: 'servers.x.a', message: expect.stringMatching(HUGE) }]);
  });

  it('reads each property from code once: a getter cannot pass the check and then answer with something else', () => {
    let reads = 0;
    let deep: unknown = 'x';
    for (let i = 0; i < 1_000; i++) deep = [deep];
    const server = {
      command: 'x',
      get args() {
        reads += 1;
        return reads === 1 ? ['fine'] : deep;
      },
    };
    const config = resolveConfig({ servers: { a: server } });
    expect(config.servers.a).toMatchObject({ args: ['fine'] });
    expect(reads).toBe(1);
  });

  it('refuses objects that are not plain data, naming their path', () => {
    expect(issuesOf(() => resolveConfig({ servers: { a: { command: 'x', args: new Uint8Array(8) } } }))).toEqual([
      { path: 'servers.a.args', message: 'must be plain data (a map, a list or a scalar), not a Uint8Array' },
    ]);
    expect(issuesOf(() => resolveConfig({ servers: { a: { command: 'x', env: new Map([['A', 'b']]) } } }))).toEqual([
      { path: 'servers.a.env', message: 'must be plain data (a map, a list or a scalar), not a Map' },
    ]);
    // Plain data from anywhere is fine: a null-prototype map and holes read as undefined.
    const env = Object.assign(Object.create(null) as Record<string, string>, { A: 'b' });
    expect(resolveConfig({ servers: { a: { command: 'x', env } } }).servers.a).toMatchObject({ env: { A: 'b' } });
    expect(issuesOf(() => resolveConfig({ servers: { a: { command: 'x', args: sparse(2) } } })).map((i) => i.path)).toEqual(['servers.a.args[0]', 'servers.a.args[1]']);
  });
});
