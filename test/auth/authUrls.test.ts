import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import type { Authorize, AuthorizeRequest } from '../../src/auth/index.js';
import { ConsentFlow, ConsentSlot } from '../../src/auth/consent.js';
import { FlowSecrets } from '../../src/auth/errors.js';
import { navigationProblem, requestProblem } from '../../src/auth/guardedFetch.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type AuthServerOptions, type Intercept, type TestAuthServer, type TestResourceServer } from './servers.js';

/**
 * URLs an authorization server or an MCP server names are used only as http(s): the authorization
 * URL only as https or http to loopback (a file: URL or a custom scheme would have the desktop open
 * a file or run a handler), every request of the flows only to http(s). Anything else is
 * AuthRequired naming the server and the reason, and `authorize` is never called.
 */

let as: TestAuthServer;
let rs: TestResourceServer;
let h: Harness;
let other: Server | undefined;

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
  other?.closeAllConnections();
  if (other) await new Promise((resolve) => other!.close(resolve));
  other = undefined;
});

/** An authorize callback that records what it was handed (and approves like a browser). */
function recordingAuthorize(): { authorize: Authorize; seen: AuthorizeRequest[] } {
  const seen: AuthorizeRequest[] = [];
  return { seen, authorize: async (request) => (seen.push(request), codeFromRedirect(request)) };
}

async function start(options: AuthServerOptions = {}, rsIntercept?: Intercept) {
  as = await startAuthServer(options);
  rs = await startResourceServer(as, { authServer: () => as.url, ...(rsIntercept ? { intercept: rsIntercept } : {}) });
}

async function failure(auth: Record<string, unknown>, authorize?: Authorize): Promise<ReturnType<typeof classifyConnectError>> {
  h = harness(authorize ? { authorize } : {});
  const error = await h.connect(httpServer(rs.url, auth)).then(
    () => new Error('connected'),
    (e: unknown) => e,
  );
  return classifyConnectError(error);
}

const cc = { type: 'client_credentials', clientId: 'svc', clientSecret: 'svc-secret-value' };

describe('the authorization URL', () => {
  it.each([
    { endpoint: 'file:///etc/passwd', reason: 'it is a file: URL, not https' },
    { endpoint: 'x-evil-handler://run?cmd=calc', reason: 'it is a x-evil-handler: URL, not https' },
    { endpoint: 'http://evil.example.com/authorize', reason: 'http://evil.example.com/authorize is plain http to a host that is not loopback' },
  ])('$endpoint is refused as AuthRequired; authorize is never called', async ({ endpoint, reason }) => {
    await start({ metadata: (m) => ({ ...m, authorization_endpoint: endpoint }) });
    const { authorize, seen } = recordingAuthorize();
    expect(await failure({ type: 'oauth' }, authorize)).toEqual({ code: 'AuthRequired', message: expect.stringContaining(`server "s": refused the authorization URL: ${reason}`), retryable: false });
    expect(seen).toEqual([]);
    expect(h.waits).toEqual([]);
  });

  it('the consent step itself refuses to hand such a URL to authorize (the last gate)', async () => {
    const seen: AuthorizeRequest[] = [];
    const flow = await ConsentFlow.start({ server: 'x', authorize: async (r) => void seen.push(r), timeoutMs: 60_000, clock: new SimulatedClock(), secrets: new FlowSecrets(), slot: new ConsentSlot() });
    try {
      await expect(flow.obtainCode(new URL('file:///etc/passwd?client_id=a'))).rejects.toThrow('server "x": refused the authorization URL: it is a file: URL, not https');
      await expect(flow.obtainCode(new URL('x-evil-handler://open'))).rejects.toThrow(/refused the authorization URL/);
      expect(seen).toEqual([]);
    } finally {
      await flow.close();
    }
  });

  it('allows https anywhere and http to 127.0.0.0/8, ::1 and localhost only', () => {
    for (const ok of ['https://as.example.com/authorize', 'http://127.0.0.1:9/a', 'http://127.5.6.7/a', 'http://[::1]:8/a', 'http://localhost/a', 'http://0x7f.1/a']) expect(navigationProblem(ok), ok).toBeUndefined();
    for (const bad of ['http://127.0.0.1.evil.com/a', 'http://10.0.0.1/a', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x', 'x-evil://a', 'not a url']) expect(navigationProblem(bad), bad).toBeDefined();
  });
});

describe('requests of the flows', () => {
  it.each(['file:///etc/passwd', 'x-evil-handler://token', 'ftp://127.0.0.1/token'])('a %s token endpoint is refused, nothing is sent', async (endpoint) => {
    await start({ metadata: (m) => ({ ...m, token_endpoint: endpoint }) });
    const scheme = new URL(endpoint).protocol;
    expect(await failure(cc)).toEqual({ code: 'AuthRequired', message: expect.stringContaining(`server "s": refused an authorization request: it is a ${scheme} URL, not http(s)`), retryable: false });
    expect(as.tokenRequests).toEqual([]);
  });

  it('a data: resource_metadata (fetch would answer it from the URL itself) is refused', async () => {
    await start({}, (req, res, at) => {
      if (at.pathname !== '/mcp' || req.headers.authorization) return false;
      const metadata = `data:application/json,${encodeURIComponent(JSON.stringify({ resource: rs.url, authorization_servers: [as.url] }))}`;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${metadata}"` }).end();
      return true;
    });
    expect(await failure(cc)).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('server "s": refused an authorization request: it is a data: URL, not http(s)') });
    expect(as.tokenRequests).toEqual([]);
  });

  it('a file: registration endpoint is refused before anyone is asked for consent', async () => {
    await start({ metadata: (m) => ({ ...m, registration_endpoint: 'file:///etc/passwd' }) });
    const { authorize, seen } = recordingAuthorize();
    expect(await failure({ type: 'oauth' }, authorize)).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('server "s": refused an authorization request: it is a file: URL, not http(s)') });
    expect(seen).toEqual([]);
    expect(as.registrations).toEqual([]);
  });

  it('a file: resource_metadata in the challenge is refused (the SDK would fall back and go on)', async () => {
    await start({}, (req, res, at) => {
      if (at.pathname !== '/mcp' || req.headers.authorization) return false;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer resource_metadata="file:///etc/passwd"' }).end();
      return true;
    });
    expect(await failure(cc)).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('server "s": refused an authorization request: it is a file: URL, not http(s)') });
    expect(as.tokenRequests).toEqual([]);
  });

  it.each([
    { issuer: 'ftp://127.0.0.1/', reason: 'refused an authorization request: it is a ftp: URL, not http(s)' },
    { issuer: 'x-evil-handler://as/', reason: 'refused to authorize: the server or its authorization server named a URL that is not http(s)' },
  ])('an authorization server named $issuer is refused', async ({ issuer, reason }) => {
    as = await startAuthServer();
    rs = await startResourceServer(as, { authServer: () => issuer });
    const { authorize, seen } = recordingAuthorize();
    expect(await failure({ type: 'oauth' }, authorize)).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining(`server "s": ${reason}`) });
    expect(seen).toEqual([]);
    expect(as.tokenRequests).toEqual([]);
  });

  it('an https server sends no credential over plain http except to loopback', () => {
    const server = new URL('https://mcp.example.com/mcp');
    expect(requestProblem('http://as.example.com/token', server)).toBe('http://as.example.com/token is plain http while the server is https');
    expect(requestProblem('http://127.0.0.1:9/token', server)).toBeUndefined();
    expect(requestProblem('https://as.example.com/token', server)).toBeUndefined();
    // Plain http to anything but loopback is refused whatever the server's own scheme.
    expect(requestProblem('http://as.internal/token', new URL('http://mcp.internal/mcp'))).toBe('http://as.internal/token is plain http to a host that is not loopback');
  });

  it("the identity provider's redirect is not followed: the ID token is not posted anywhere else", async () => {
    const elsewhere: string[] = [];
    other = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: 'jag', issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag' }));
    });
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', () => resolve()));
    const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/steal`;
    await start({
      intercept: (req, res, at) => {
        if (at.pathname !== '/idp/token') return false;
        req.resume();
        res.writeHead(307, { Location: target }).end();
        return true;
      },
    });
    const idp = { tokenEndpoint: `${as.url}/idp/token`, idToken: 'id-token-of-the-user', clientId: 'idp-client' };
    expect(await failure({ type: 'cross_app', clientId: 'mcp-client', clientSecret: 'mcp-client-secret', idp })).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('HTTP 307') });
    expect(elsewhere).toEqual([]);
  });
});
