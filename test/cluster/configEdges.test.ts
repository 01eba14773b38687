import { describe, expect, it } from 'vitest';
import { resolveInput } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { createSwitchboard } from '../../src/switchboard/switchboard.js';

/** Review of issue 24: a bad `cluster:` block is a ConfigError naming the exact key. */

const KEY = Buffer.alloc(32, 3).toString('base64');

function paths(cluster: unknown, servers: Record<string, unknown> = {}): string[] {
  try {
    resolveInput({ servers, cluster });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => i.path);
  }
  return [];
}

const url = 'redis://127.0.0.1:6390';

describe('review 24: the cluster block names the exact key', () => {
  it('heartbeatMs out of range (below 100, above 1000, not an integer)', () => {
    for (const heartbeatMs of [50, 5000, 150.5, 0, -1]) expect(paths({ redis: { url }, heartbeatMs })).toEqual(['cluster.heartbeatMs']);
  });

  it('commandTimeoutMs out of range', () => {
    for (const commandTimeoutMs of [5, 20_000]) expect(paths({ redis: { url, commandTimeoutMs } })).toEqual(['cluster.redis.commandTimeoutMs']);
  });

  it('an unknown key at the block level and inside redis', () => {
    expect(paths({ redis: { url }, tokenkey: KEY })).toEqual(['cluster.tokenkey']);
    expect(paths({ redis: { url, password: 'x' } })).toEqual(['cluster.redis.password']);
  });

  it('a bad cluster name and replica id', () => {
    expect(paths({ redis: { url }, name: 'has:colon' })).toEqual(['cluster.name']);
    expect(paths({ redis: { url }, name: '' })).toEqual(['cluster.name']);
    expect(paths({ redis: { url }, replicaId: 'sp ace' })).toEqual(['cluster.replicaId']);
  });

  it('a missing redis block or url', () => {
    expect(paths({ name: 'x' })).toEqual(['cluster.redis']);
    expect(paths({ redis: {} })).toEqual(['cluster.redis.url']);
  });

  it('a tokenKey of the wrong length or not base64, never quoting it', () => {
    for (const bad of [Buffer.alloc(31, 1).toString('base64'), Buffer.alloc(33, 1).toString('base64'), 'not base64 !!', Buffer.alloc(32, 1).toString('hex')]) {
      let error: unknown;
      try {
        resolveInput({ servers: {}, cluster: { redis: { url }, tokenKey: bad } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['cluster.tokenKey']);
      expect((error as ConfigError).message).not.toContain(bad);
    }
  });

  it('a missing tokenKey while any OAuth kind of server is configured (oauth, client_credentials)', () => {
    expect(paths({ redis: { url } }, { remote: { url: 'https://example.invalid/mcp', auth: { type: 'oauth' } } })).toContain('cluster.tokenKey');
    expect(paths({ redis: { url } }, { m2m: { url: 'https://example.invalid/mcp', auth: { type: 'client_credentials', clientId: 'c', clientSecret: 's'} } })).toContain('cluster.tokenKey');
  });

  it('a URL that is not redis:// or rediss://, or names no host, or has a bad port', () => {
    for (const bad of ['http://127.0.0.1:6379', 'not a url', 'redis://', 'redis://127.0.0.1:99999', 'unix:///tmp/redis.sock']) {
      const found = paths({ redis: { url: bad } });
      expect(found.length, bad).toBeGreaterThan(0);
      expect(new Set(found), bad).toEqual(new Set(['cluster.redis.url']));
    }
  });

  it('a URL whose database is not a number is refused at config time (node-redis refuses it at connect)', () => {
    // Otherwise the replica silently runs alone, with only an error log line, after start.
    expect(paths({ redis: { url: 'redis://127.0.0.1:6390/notanumber' } })).toEqual(['cluster.redis.url']);
  });

  it('a URL with a password in percent-encoding never shows it in the error of another issue', () => {
    let error: unknown;
    try {
      createSwitchboard({ servers: {}, cluster: { redis: { url: 'redis://:p%40ss-SECRET-word@127.0.0.1:6390' }, heartbeatMs: 5 } } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain('SECRET');
    expect(JSON.stringify((error as ConfigError).issues)).not.toContain('SECRET');
  });

  it('a tokenKey read from a file with a trailing newline is accepted and still masked without the newline', () => {
    const sb = createSwitchboard({ servers: {}, cluster: { redis: { url }, tokenKey: `${KEY}\n` } });
    expect(sb.redact(`key=${KEY};`)).not.toContain(KEY);
  });
});

describe('review 24: documentation', () => {
  it('README "Running several replicas" says what a reload that changes the cluster: block does', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## Running several replicas');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 10));
    // The runtime logs "the cluster: block changed; it applies at the next start"; operators should read it before.
    expect(section).toMatch(/reload that changes it[\s\S]{0,200}next start/i);
  });
});
