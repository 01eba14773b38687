import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Authorize, AuthorizeRequest } from '../../src/auth/index.js';
import { navigationProblem, requestProblem } from '../../src/auth/guardedFetch.js';
import { browserCommand } from '../../src/cli/loginCommand.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type AuthServerOptions, type Intercept, type TestAuthServer, type TestResourceServer } from './servers.js';

/**
 * Credentials in URLs and plain http: `https://accounts.google.com@evil.com/` shows a trusted
 * name and goes to evil.com, `https://user:pw@host/` sends a password nobody configured. No such
 * URL is opened, handed to `authorize` or requested; plain http goes only to loopback, whatever
 * the MCP server's own scheme. Each refusal is AuthRequired naming the server and the reason,
 * and never quotes the password.
 */

let as: TestAuthServer | undefined;
let rs: TestResourceServer | undefined;
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
  [h, rs, as] = [undefined, undefined, undefined];
});

const cc = { type: 'client_credentials', clientId: 'svc', clientSecret: 'svc-secret-value' };

async function start(options: AuthServerOptions = {}, rsIntercept?: Intercept) {
  as = await startAuthServer(options);
  rs = await startResourceServer(as, { authServer: () => as!.url, ...(rsIntercept ? { intercept: rsIntercept } : {}) });
}

async function failure(auth: Record<string, unknown>, deps: { authorize?: Authorize; fetch?: FetchLike } = {}) {
  h = harness(deps);
  const error = await h.connect(httpServer(rs!.url, auth)).then(
    () => new Error('connected'),
    (e: unknown) => e,
  );
  return classifyConnectError(error);
}

/** The authorization server's port, with `userinfo` in front of its host. */
const withUserinfo = (userinfo: string, path: string) => `http://${userinfo}@${new URL(as!.url).host}${path}`;

describe('URLs with a user name or password', () => {
  it.each([
    { name: 'https://accounts.google.com@evil.example/', endpoint: () => 'https://accounts.google.com@evil.example/authorize', shown: 'https://evil.example/authorize' },
    { name: 'https://user:pw@evil.example/', endpoint: () => 'https://user:pw-do-not-show@evil.example/authorize', shown: 'https://evil.example/authorize' },
    { name: 'http://user:pw@127.0.0.1 (loopback)', endpoint: () => withUserinfo('user:pw-do-not-show', '/authorize'), shown: () => `${as!.url}/authorize` },
  ])('an authorization URL like $name is refused; authorize is never called', async ({ endpoint, shown }) => {
    await start({ metadata: (m) => ({ ...m, authorization_endpoint: endpoint() }) });
    const seen: AuthorizeRequest[] = [];
    const result = await failure({ type: 'oauth' }, { authorize: async (r) => (seen.push(r), codeFromRedirect(r)) });
    const where = typeof shown === 'function' ? shown() : shown;
    expect(result).toEqual({ code: 'AuthRequired', message: expect.stringContaining(`server "s": refused the authorization URL: ${where} carries a user name or password`), retryable: false });
    expect(result.message).not.toContain('pw-do-not-show');
    expect(seen).toEqual([]);
    expect(as!.authorizeRequests).toEqual([]);
  });

  it('a token endpoint with userinfo is refused, nothing is sent', async () => {
    await start({ metadata: (m) => ({ ...m, token_endpoint: withUserinfo('user:pw-do-not-show', '/token') }) });
    const result = await failure(cc);
    expect(result).toEqual({ code: 'AuthRequired', message: expect.stringContaining(`server "s": refused an authorization request: ${as!.url}/token carries a user name or password`), retryable: false });
    expect(result.message).not.toContain('pw-do-not-show');
    expect(as!.tokenRequests).toEqual([]);
  });

  it('a resource_metadata URL with userinfo in the challenge is refused', async () => {
    await start({}, (req, res, at) => {
      if (at.pathname !== '/mcp' || req.headers.authorization) return false;
      req.resume();
      const metadata = `http://evil@${new URL(rs!.url).host}/.well-known/oauth-protected-resource/mcp`;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${metadata}"` }).end();
      return true;
    });
    expect(await failure(cc)).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('carries a user name or password') });
    expect(as!.tokenRequests).toEqual([]);
  });

  it('navigationProblem, requestProblem and browserCommand refuse every form of userinfo', () => {
    const server = new URL('http://127.0.0.1:9/mcp');
    for (const bad of ['https://accounts.google.com@evil.com/', 'https://user:pw@evil.com/', 'https://:pw@evil.com/', 'https://user@evil.com/', 'http://user:pw@127.0.0.1/', 'http://127.0.0.1:80@evil.com/', 'HTTPS://A@B.example/']) {
      expect(navigationProblem(bad), bad).toMatch(/carries a user name or password|plain http/);
      expect(requestProblem(bad, server), bad).toMatch(/carries a user name or password|plain http/);
      expect(navigationProblem(bad), bad).not.toMatch(/pw/);
      for (const platform of ['linux', 'darwin', 'win32'] as const) expect(browserCommand(bad, platform), `${bad} on ${platform}`).toBeUndefined();
    }
    expect(browserCommand('http://evil.example/authorize', 'linux')).toBeUndefined();
    expect(browserCommand('http://127.0.0.1:8/authorize', 'linux')).toEqual({ command: 'xdg-open', args: ['http://127.0.0.1:8/authorize'] });
  });
});

describe('plain http goes only to loopback, whatever the MCP server\'s scheme', () => {
  it('a plain-http (loopback) server whose token endpoint is plain http elsewhere: refused, nothing is sent', async () => {
    // The alias resolves (through this fetch) to the test authorization server: before the rule, the token would go there.
    const asked: string[] = [];
    const aliasing: FetchLike = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input);
      asked.push(url.href);
      if (url.hostname === 'as.example.test') url.hostname = '127.0.0.1';
      return fetch(url, init);
    };
    await start({ metadata: (m) => ({ ...m, token_endpoint: `http://as.example.test:${new URL(as!.url).port}/token` }) });
    expect(new URL(rs!.url).protocol).toBe('http:');
    expect(await failure(cc, { fetch: aliasing })).toEqual({
      code: 'AuthRequired',
      message: expect.stringContaining(`server "s": refused an authorization request: http://as.example.test:${new URL(as!.url).port}/token is plain http to a host that is not loopback`),
      retryable: false,
    });
    expect(asked.filter((u) => u.includes('as.example.test'))).toEqual([]);
    expect(as!.tokenRequests).toEqual([]);
  });

  it('requestProblem refuses plain http to any host but loopback for an http server too', () => {
    const server = new URL('http://127.0.0.1:9/mcp');
    for (const bad of ['http://as.example.com/token', 'http://10.0.0.1/token', 'http://127.0.0.1.evil.com/token']) expect(requestProblem(bad, server), bad).toBe(`${bad} is plain http to a host that is not loopback`);
    for (const ok of ['http://127.0.0.1:9/token', 'http://localhost/token', 'http://[::1]:8/token', 'https://as.example.com/token']) expect(requestProblem(ok, server), ok).toBeUndefined();
  });
});
