import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, type Authorize, type AuthorizeRequest } from '../../src/auth/index.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { followToLoopback, harness, httpServer, responseFromRedirect, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type AuthServerOptions, type TestAuthServer } from './servers.js';

/**
 * Who the authorization server is (RFC 8414 §3.3, RFC 9207): metadata that names another issuer
 * than it was fetched for is never used, and an authorization response whose `iss` is missing
 * (when promised) or differs from the recorded issuer by a single character is refused before
 * its code reaches a token endpoint, whether the host hands it over or the loopback catches it.
 */

const servers: { close(): Promise<void> }[] = [];
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const server of servers.splice(0).reverse()) await server.close();
});

async function setup(options: AuthServerOptions, authServer?: (as: TestAuthServer) => string): Promise<{ as: TestAuthServer; url: string }> {
  const as = await startAuthServer(options);
  servers.push(as);
  const rs = await startResourceServer(as, { authServer: () => authServer?.(as) ?? as.url });
  servers.push(rs);
  return { as, url: rs.url };
}

/** The connect's failure as the runtime reports it, or 'connected'. */
async function outcome(url: string, authorize: Authorize) {
  h = harness({ authorize });
  const error = await h.connect(httpServer(url, { type: 'oauth' })).then(
    () => undefined,
    (e: unknown) => e,
  );
  await h.close();
  if (error === undefined) return 'connected';
  expect(error).toBeInstanceOf(AuthError);
  return classifyConnectError(error);
}

/** No code was redeemed, and the error names none of what the server issued. */
function expectNothingRedeemed(as: TestAuthServer, message: string) {
  expect(as.tokenRequests.filter((r) => r.grant === 'authorization_code')).toEqual([]);
  for (const secret of as.issued) expect(message).not.toContain(secret);
}

const deliveries: [string, Authorize][] = [
  ['handed back by authorize', responseFromRedirect],
  ['caught by the loopback listener', followToLoopback],
];

describe.each(deliveries)('the iss of an authorization response %s', (_name, authorize) => {
  it('is required when the metadata promises it, and then accepted when it is exact', async () => {
    const exact = await setup({ issSupported: true, issInRedirect: 'correct' });
    expect(await outcome(exact.url, authorize)).toBe('connected');
    const { as, url } = await setup({ issSupported: true, issInRedirect: 'none' });
    const info = await outcome(url, authorize);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false });
    expect(info).toHaveProperty('message', expect.stringContaining('refused the authorization response: it names no issuer (iss)'));
    expectNothingRedeemed(as, JSON.stringify(info));
  });

  it.each([
    ['another issuer, advertised', { issSupported: true, issInRedirect: 'wrong' }, 'https://evil.example.test'],
    ['another issuer, not advertised', { issInRedirect: 'wrong' }, 'https://evil.example.test'],
    ['another issuer, advertised as unsupported', { issSupported: false, issInRedirect: 'wrong' }, 'https://evil.example.test'],
    ['the issuer with a trailing slash (no normalization)', { issSupported: true, issInRedirect: 'slash' }, '/"'],
  ] as const)('is refused when it names %s', async (_case, options, named) => {
    const { as, url } = await setup(options);
    const info = await outcome(url, authorize);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false });
    const message = (info as { message: string }).message;
    expect(message).toContain(`not the authorization server ${JSON.stringify(as.url)}`);
    expect(message).toContain(named);
    expectNothingRedeemed(as, message);
  });
});

describe('an error redirect', () => {
  it('is judged by its iss first: a mix-up error is refused as one, its error text not repeated', async () => {
    const { as, url } = await setup({
      issSupported: true,
      intercept: (_req, res, at) => {
        if (at.pathname !== '/authorize') return false;
        const to = new URL(at.searchParams.get('redirect_uri')!);
        to.search = new URLSearchParams({ error: 'access_denied_by_evil', state: at.searchParams.get('state')!, iss: 'https://evil.example.test' }).toString();
        res.writeHead(302, { Location: to.href }).end();
        return true;
      },
    });
    const info = await outcome(url, followToLoopback);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false });
    expect((info as { message: string }).message).toContain('refused the authorization response: it names the issuer "https://evil.example.test"');
    expect((info as { message: string }).message).not.toContain('access_denied_by_evil');
    expectNothingRedeemed(as, '');
  });
});

describe('the answer of authorize', () => {
  it('may be the code alone, as a string', async () => {
    const { url } = await setup({});
    const bare: Authorize = async (request) => ((await responseFromRedirect(request)) as { code: string }).code;
    expect(await outcome(url, bare)).toBe('connected');
  }, 20_000);

  it('refuses an iss that is not a string rather than skipping the check', async () => {
    const { as, url } = await setup({ issSupported: true, issInRedirect: 'correct' });
    const odd = (async (request: AuthorizeRequest) => ({ code: ((await responseFromRedirect(request)) as { code: string }).code, iss: 42 })) as unknown as Authorize;
    const info = await outcome(url, odd);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false, message: expect.stringContaining('returned an iss that is not a string') });
    expectNothingRedeemed(as, JSON.stringify(info));
  });
});

describe('authorization server metadata (RFC 8414 §3.3)', () => {
  it('naming another issuer is refused before any registration, consent or token request', async () => {
    const { as, url } = await setup({ metadata: (m) => ({ ...m, issuer: 'https://attacker.example.test' }) });
    const info = await outcome(url, responseFromRedirect);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false });
    expect((info as { message: string }).message).toContain(`its metadata names the issuer "https://attacker.example.test", not ${JSON.stringify(as.url)}`);
    expect(as.registrations).toEqual([]);
    expect(as.authorizeRequests).toEqual([]);
    expect(as.tokenRequests).toEqual([]);
  });

  it('tolerates a trailing slash only the resource metadata has, not one only the metadata has', async () => {
    const advertised = await setup({}, (as) => `${as.url}/`);
    expect(await outcome(advertised.url, responseFromRedirect)).toBe('connected');
    const { as, url } = await setup({ metadata: (m) => ({ ...m, issuer: `${m.issuer as string}/` }) });
    const info = await outcome(url, responseFromRedirect);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false, message: expect.stringContaining('RFC 8414 §3.3') });
    expect(as.registrations).toEqual([]);
  });
});
