import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryTokenStore } from '../../src/auth/index.js';
import { FlowSecrets } from '../../src/auth/errors.js';
import { StoreBackedProvider } from '../../src/auth/provider.js';
import type { AuthConfig } from '../../src/config/schema.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer } from './servers.js';

/**
 * SEP-837: a dynamic registration names its OIDC `application_type`. An authorization server
 * that reads none takes `web` and may refuse the loopback redirect of a native client for it.
 */

const servers: { close(): Promise<void> }[] = [];
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const server of servers.splice(0).reverse()) await server.close();
});

/** The registration request a provider with `auth` would send. */
function metadataOf(auth: Record<string, unknown>): Record<string, unknown> {
  const provider = new StoreBackedProvider({
    server: 's',
    resource: 'https://mcp.example.test/mcp',
    auth: auth as AuthConfig,
    store: memoryTokenStore(),
    key: 'k',
    clock: new SimulatedClock(),
    log: () => undefined,
    secrets: new FlowSecrets(),
  });
  return provider.clientMetadata as Record<string, unknown>;
}

describe('the application_type of a registration', () => {
  it('is native for the loopback redirect of an interactive flow, as registered', async () => {
    const as = await startAuthServer();
    servers.push(as);
    const rs = await startResourceServer(as, { authServer: () => as.url });
    servers.push(rs);
    h = harness({ authorize: codeFromRedirect });
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    expect(as.registrations).toHaveLength(1);
    expect(as.registrations[0]).toMatchObject({ application_type: 'native', redirect_uris: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)] });
  });

  it.each([
    ['native', 'a loopback redirect by name', { type: 'oauth', redirectUrl: 'http://localhost:33418/callback' }],
    ['native', 'an IPv6 loopback redirect', { type: 'oauth', redirectUrl: 'http://[::1]:33418/callback' }],
    ['native', 'a custom-scheme redirect', { type: 'oauth', redirectUrl: 'com.example.app:/oauth' }],
    ['web', 'an https redirect', { type: 'oauth', redirectUrl: 'https://app.example.test/oauth/callback' }],
    ['web', 'client_credentials (no redirect)', { type: 'client_credentials', clientId: 'svc', clientSecret: 'svc-secret' }],
    ['web', 'cross_app (no redirect)', { type: 'cross_app', clientId: 'app', clientSecret: 'app-secret', idp: { tokenEndpoint: 'https://idp.example.test/token', idToken: 'id-token', clientId: 'idp-client' } }],
  ])('is %s for %s', (expected, _name, auth) => {
    expect(metadataOf(auth)).toHaveProperty('application_type', expected);
  });
});
