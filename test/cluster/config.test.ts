import { describe, expect, it } from 'vitest';
import { resolveInput } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { createSwitchboard } from '../../src/switchboard/switchboard.js';

/**
 * A bad `cluster:` block (DESIGN §16) is a ConfigError naming the key, thrown where every config
 * is checked (createSwitchboard), and its secrets never appear in the error.
 */

const KEY = Buffer.alloc(32, 1).toString('base64');
const oauthServer = { url: 'https://example.invalid/mcp', auth: { type: 'oauth' as const } };

function issuesOf(config: unknown): Array<{ path: string; message: string }> {
  try {
    resolveInput(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('the config was accepted');
}

describe('the cluster block', () => {
  it('resolves a good block with its defaults', () => {
    const config = resolveInput({ servers: {}, cluster: { redis: { url: 'redis://:pw-1234@127.0.0.1:6390' }, tokenKey: KEY } });
    expect(config.cluster).toMatchObject({ name: 'default', replicaId: '', heartbeatMs: 1000, redis: { keyPrefix: 'switchboard:', commandTimeoutMs: 250 } });
    expect(config.cluster!.tokenKey).toHaveLength(32);
    expect(config.cluster!.secrets).toEqual(expect.arrayContaining(['pw-1234', KEY]));
  });

  it('names cluster.redis.url when it is not a redis:// URL', () => {
    expect(issuesOf({ servers: {}, cluster: { redis: { url: 'http://127.0.0.1:6379' } } })).toEqual([expect.objectContaining({ path: 'cluster.redis.url' })]);
    expect(issuesOf({ servers: {}, cluster: { redis: { url: 'not a url' } } })).toEqual([expect.objectContaining({ path: 'cluster.redis.url' })]);
  });

  it('names cluster.tokenKey when it is not 32 bytes', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    const issues = issuesOf({ servers: {}, cluster: { redis: { url: 'redis://127.0.0.1:6390' }, tokenKey: short } });
    expect(issues).toEqual([expect.objectContaining({ path: 'cluster.tokenKey', message: expect.stringContaining('not 16 bytes') })]);
    expect(JSON.stringify(issues)).not.toContain(short);
  });

  it('names cluster.tokenKey when it is missing while a server uses OAuth', () => {
    const issues = issuesOf({ servers: { remote: oauthServer }, cluster: { redis: { url: 'redis://127.0.0.1:6390' } } });
    expect(issues).toEqual([expect.objectContaining({ path: 'cluster.tokenKey', message: expect.stringContaining('"remote"') })]);
    expect(() => resolveInput({ servers: { remote: oauthServer }, cluster: { redis: { url: 'redis://127.0.0.1:6390' }, tokenKey: KEY } })).not.toThrow();
  });

  it('names an unknown key and throws from createSwitchboard without showing the password', () => {
    let error: unknown;
    try {
      createSwitchboard({ servers: {}, cluster: { redis: { url: 'redis://:pw-hidden-9876@127.0.0.1:6390', port: 1 } } } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toContain('cluster.redis.port');
    expect((error as ConfigError).message).not.toContain('pw-hidden-9876');
  });
});
