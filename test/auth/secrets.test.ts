import { afterEach, describe, expect, it } from 'vitest';
import { classifyCallError, classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from './servers.js';

/** No secret of a flow (tokens, codes, verifiers, client secrets, private keys) reaches a log line or an error. */

let as: TestAuthServer;
let rs: TestResourceServer;
let h: Harness;

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
});

/** Every secret the flows saw: what the server issued, the PKCE verifiers, the configured ones. */
function secretsOfTheFlow(extra: string[] = []): string[] {
  const verifiers = as.tokenRequests.map((r) => r.body.code_verifier).filter((v): v is string => !!v);
  return [...as.issued, ...verifiers, ...extra];
}

function expectNoSecret(texts: string[], secrets: string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  for (const text of texts) for (const secret of secrets) expect(text, `"${secret}" leaked`).not.toContain(secret);
}

describe('secrets of the flow', () => {
  it('stay out of logs and out of an error that quotes the refresh token', async () => {
    as = await startAuthServer({ refreshError: (token) => ({ error: 'invalid_scope', error_description: `refresh token ${token} may not ask for that` }) });
    rs = await startResourceServer(as, { authServer: () => as.url });
    h = harness({ authorize: codeFromRedirect });
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    as.revokeAccessTokens();
    const error = await session.client.callTool({ name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    const failure = classifyCallError(error, null, 's', 'echo');
    expect(failure.error.code).toBe('AuthRequired');
    // The server's words arrive, the token in them does not.
    expect(failure.error.message).toContain('invalid_scope: refresh token *** may not ask for that');
    // The flow really had all of these: a registration secret, a code, a verifier, two kinds of token.
    const secrets = secretsOfTheFlow();
    expect(secrets.some((s) => s.startsWith('client-secret'))).toBe(true);
    expect(secrets.some((s) => s.startsWith('code-'))).toBe(true);
    expect(as.tokenRequests[0]?.body.code_verifier).toBeTruthy();
    expectNoSecret([...h.logs, failure.error.message, (error as Error).message], secrets);
  });

  it('keep a configured client secret and private key out of errors', async () => {
    as = await startAuthServer({ authMethods: ['client_secret_basic'], refreshTokens: false });
    rs = await startResourceServer(as, { authServer: () => as.url });
    h = harness();
    const secret = 'configured-client-secret-9f2';
    const broken = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNotARealKeyAtAll\n-----END PRIVATE KEY-----\n';
    const keyError = await h.connect(httpServer(rs.url, { type: 'client_credentials', clientId: 'svc', privateKey: broken })).catch((e: unknown) => e);
    const info = classifyConnectError(keyError);
    expect(info).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('auth.privateKey is not a PEM private key') });
    expectNoSecret([info.message, ...h.logs], ['MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNotARealKeyAtAll']);
    const session = await h.connect(httpServer(rs.url, { type: 'client_credentials', clientId: 'svc', clientSecret: secret }));
    await session.client.listTools();
    expectNoSecret(h.logs, [secret, ...as.issued]);
  });
});
