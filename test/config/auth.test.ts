import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveConfig, type ResolvedServer } from '../../src/config/index.js';
import type { AuthConfig } from '../../src/config/schema.js';
import { issuesOf } from './issues.js';

/** The `auth` block of http and sse servers (DESIGN §11). */

/** The issues of resolving a config with these servers. */
function issuesOfServers(servers: Record<string, unknown>) {
  return issuesOf(() => resolveConfig({ servers }));
}

const http = (auth: unknown, extra: Record<string, unknown> = {}) => ({ s: { transport: 'http', url: 'https://mcp.example.test/mcp', auth, ...extra } });

describe('the auth block', () => {
  it('is carried by http and sse servers, as written', () => {
    const config = resolveConfig({
      servers: {
        a: { transport: 'http', url: 'https://a.test/mcp', auth: { type: 'oauth', clientId: 'app', scopes: ['read'], redirectUrl: 'http://127.0.0.1:33418/callback' } },
        b: { transport: 'sse', url: 'https://b.test/sse', auth: { type: 'client_credentials', clientId: 'svc', clientSecret: 'x' } },
        c: {
          transport: 'http',
          url: 'https://c.test/mcp',
          auth: { type: 'cross_app', clientId: 'c', idp: { tokenEndpoint: 'https://idp.test/token', idToken: 't', clientId: 'i' } },
        },
      },
    });
    expect(config.servers.a!).toMatchObject({ auth: { type: 'oauth', clientId: 'app', scopes: ['read'], redirectUrl: 'http://127.0.0.1:33418/callback' } });
    expect(config.servers.b!).toMatchObject({ auth: { type: 'client_credentials', clientId: 'svc' } });
    expect(config.servers.c!).toMatchObject({ auth: { type: 'cross_app', idp: { tokenEndpoint: 'https://idp.test/token' } } });
    expectTypeOf<Extract<ResolvedServer, { transport: 'http' }>['auth']>().toEqualTypeOf<AuthConfig | undefined>();
  });

  it('is a ConfigError at servers.<name>.auth on a stdio server', () => {
    expect(issuesOfServers({ s: { transport: 'stdio', command: 'x', auth: { type: 'oauth' } } })).toEqual([
      { path: 'servers.s.auth', message: 'auth is for http and sse servers only (a stdio server takes its credentials in env)' },
    ]);
  });

  it('names the unknown type and the keys each type knows', () => {
    expect(issuesOfServers(http({ type: 'basic' }))[0]!.path).toBe('servers.s.auth.type');
    expect(issuesOfServers(http({ type: 'oauth', clientId: 'a', extra: 1 }))[0]!.path).toBe('servers.s.auth.extra');
    expect(issuesOfServers(http({ type: 'oauth', clientSecret: 'x' }))).toEqual([{ path: 'servers.s.auth.clientSecret', message: 'clientSecret belongs to a pre-registered clientId' }]);
  });

  it('needs exactly one of clientSecret or privateKey for client_credentials, and algorithm only with a key', () => {
    expect(issuesOfServers(http({ type: 'client_credentials', clientId: 'svc' }))).toEqual([{ path: 'servers.s.auth', message: 'needs exactly one of clientSecret or privateKey' }]);
    expect(issuesOfServers(http({ type: 'client_credentials', clientId: 'svc', clientSecret: 'a', privateKey: 'b' }))[0]!.message).toBe('needs exactly one of clientSecret or privateKey');
    expect(issuesOfServers(http({ type: 'client_credentials', clientId: 'svc', clientSecret: 'a', algorithm: 'ES256' }))).toEqual([
      { path: 'servers.s.auth.algorithm', message: 'algorithm is for privateKey (private_key_jwt) only' },
    ]);
  });

  it('takes only a loopback redirect URL and an https metadata document URL', () => {
    expect(issuesOfServers(http({ type: 'oauth', redirectUrl: 'https://app.example.test/callback' }))[0]!.path).toBe('servers.s.auth.redirectUrl');
    expect(issuesOfServers(http({ type: 'oauth', clientMetadataUrl: 'http://app.example.test/client.json' }))[0]).toEqual({
      path: 'servers.s.auth.clientMetadataUrl',
      message: 'must be an https:// URL with a path',
    });
    expect(issuesOfServers(http({ type: 'oauth', scopes: ['read write'] }))[0]!.path).toBe('servers.s.auth.scopes[0]');
  });

  it('excludes a static Authorization header', () => {
    expect(issuesOfServers(http({ type: 'oauth' }, { headers: { authorization: 'Bearer x' } }))).toEqual([
      { path: 'servers.s.headers.authorization', message: 'an Authorization header and an auth block exclude each other; keep one' },
    ]);
  });

  it('expands ${VAR} in its values, which become the server secrets', () => {
    const config = resolveConfig(
      { servers: http({ type: 'client_credentials', clientId: 'svc', clientSecret: '${SVC_SECRET}' }) },
      { env: { SVC_SECRET: 'from-the-environment' } },
    );
    expect(config.servers.s!).toMatchObject({ auth: { clientSecret: 'from-the-environment' }, secrets: ['from-the-environment'] });
  });
});
