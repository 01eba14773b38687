import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../src/config/index.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, harness, httpServer, textOf, type Harness } from './harness.js';
import { flood, hang, type Flood } from './hostile.js';
import { startAuthServer, startResourceServer, type Intercept, type TestAuthServer, type TestResourceServer } from './servers.js';

/**
 * A hostile authorization server against the library's auth traffic: every kind of request the
 * flows send (protected resource metadata, RFC 8414 and OIDC discovery, registration, each token
 * grant, the SEP-990 token exchange) is cut at 1 MiB and bounded in time, and the connect fails
 * with AuthRequired naming the server. What the flood could send before the client went away
 * bounds what the host ever held of it.
 */

const MiB = 1024 * 1024;
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';

let as: TestAuthServer;
let rs: TestResourceServer;
let h: Harness;
const floods: Flood[] = [];

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
  floods.length = 0;
});

const json = (res: ServerResponse, value: unknown) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));

/** Floods the answer of `method path` (a path prefix), leaves the rest to the server. */
const floodAt =
  (method: string, path: string, options: { declared?: number } = {}): Intercept =>
  (req, res, at) => {
    if (req.method !== method || !at.pathname.startsWith(path)) return false;
    floods.push(flood(req, res, options));
    return true;
  };

/** An identity provider's token exchange on the authorization server's port: it answers an (unsigned) ID-JAG. */
const idp: Intercept = (req, res, at) => {
  if (at.pathname !== '/idp/token') return false;
  req.resume();
  json(res, { access_token: 'id-jag-0001-issued', issued_token_type: ID_JAG, token_type: 'N_A' });
  return true;
};

interface Kind {
  name: string;
  auth: () => Record<string, unknown>;
  as?: Intercept;
  rs?: Intercept;
}

const cc = () => ({ type: 'client_credentials', clientId: 'svc', clientSecret: 'svc-secret-value' });
const crossApp = () => ({ type: 'cross_app', clientId: 'mcp-client', clientSecret: 'mcp-client-secret', idp: { tokenEndpoint: `${as.url}/idp/token`, idToken: 'id-token-of-the-user', clientId: 'idp-client' } });

const kinds: Kind[] = [
  { name: 'protected resource metadata', auth: cc, rs: floodAt('GET', '/.well-known/oauth-protected-resource') },
  { name: 'authorization server metadata (RFC 8414)', auth: cc, as: floodAt('GET', '/.well-known/oauth-authorization-server') },
  {
    name: 'OpenID provider discovery',
    auth: cc,
    as: (req, res, at) => {
      if (at.pathname === '/.well-known/oauth-authorization-server') return Boolean(res.writeHead(404).end());
      return floodAt('GET', '/.well-known/openid-configuration')(req, res, at);
    },
  },
  { name: 'dynamic client registration', auth: () => ({ type: 'oauth' }), as: floodAt('POST', '/register') },
  { name: 'token endpoint, authorization_code grant', auth: () => ({ type: 'oauth', clientId: 'pre-registered-app' }), as: floodAt('POST', '/token') },
  { name: 'token endpoint, client_credentials grant', auth: cc, as: floodAt('POST', '/token') },
  { name: 'token endpoint, a declared Content-Length of 200 MB', auth: cc, as: floodAt('POST', '/token', { declared: 200_000_000 }) },
  { name: 'token endpoint, jwt-bearer grant (cross_app)', auth: crossApp, as: (req, res, at) => idp(req, res, at) || floodAt('POST', '/token')(req, res, at) },
  { name: "identity provider's token exchange (cross_app)", auth: crossApp, as: floodAt('POST', '/idp/token') },
];

async function start(kind: { as?: Intercept; rs?: Intercept }, rsIntercept?: Intercept) {
  as = await startAuthServer({ intercept: (req, res, at) => (kind.as ? kind.as(req, res, at) : idp(req, res, at)) });
  const intercept = kind.rs ?? rsIntercept;
  rs = await startResourceServer(as, { authServer: () => as.url, ...(intercept ? { intercept } : {}) });
  h = harness({ authorize: codeFromRedirect });
}

async function connectError(server: RuntimeServer): Promise<unknown> {
  return h.connect(server).then(
    () => new Error('connected'),
    (error: unknown) => error,
  );
}

/** The flood ended at the cap: what the client accepted is the cap plus socket buffers, far from the 64 MiB on offer. */
async function expectBounded(): Promise<void> {
  expect(floods.length).toBeGreaterThan(0);
  for (const f of floods) expect(await f.over).toBeLessThan(16 * MiB);
}

describe('authorization answers are capped at 1 MiB', () => {
  it.each(kinds)('$name: the connect fails with AuthRequired naming the server, the flood is cut', async (kind) => {
    await start(kind);
    const error = await connectError(httpServer(rs.url, kind.auth()));
    expect(classifyConnectError(error)).toEqual({ code: 'AuthRequired', message: expect.stringMatching(/server "s": the answer of http:\/\/127\.0\.0\.1:\d+\/\S* exceeds 1048576 bytes/), retryable: false });
    await expectBounded();
    expect(rs.statuses.filter((s) => s === 200)).toEqual([]);
  });

  it('a refresh answered by a flood fails without asking the user for consent again', async () => {
    let flooding = false;
    await start({ as: (req, res, at) => flooding && floodAt('POST', '/token')(req, res, at) });
    const server = httpServer(rs.url, { type: 'oauth' });
    await h.connect(server);
    expect(as.authorizeRequests).toHaveLength(1);
    // The stored access token is refused: the next connect refreshes, and the refresh is flooded.
    as.revokeAccessTokens();
    flooding = true;
    const error = await connectError(server);
    expect(classifyConnectError(error)).toMatchObject({ code: 'AuthRequired', message: expect.stringMatching(/server "s": the answer of .*\/token exceeds 1048576 bytes/) });
    await expectBounded();
    expect(as.authorizeRequests).toHaveLength(1);
  });

  it("quotes at most a few hundred characters of a refusal's body, without its control characters", async () => {
    const body = `\u001b]52;c;${'A'.repeat(900 * 1024)}\u0007`;
    await start({
      as: (req, res, at) => {
        if (at.pathname !== '/token') return false;
        req.resume();
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(body);
        return true;
      },
    });
    const error = await connectError(httpServer(rs.url, cc()));
    const { code, message } = classifyConnectError(error);
    expect(code).toBe('AuthRequired');
    expect(message).toContain('server "s"');
    expect(message.length).toBeLessThan(1_000);
    expect(message).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
  });
});

describe('authorization requests are bounded in time (timeouts.connectMs each)', () => {
  /** Intercepts `path` with a request that is never answered; `arrived` resolves when one came. */
  function stall(path: string, options: { trickle?: boolean } = {}) {
    let arrived!: () => void;
    const came = new Promise<void>((resolve) => (arrived = resolve));
    const stalled: ServerResponse[] = [];
    const intercept: Intercept = (req: IncomingMessage, res: ServerResponse, at: URL) => {
      if (at.pathname !== path || stalled.length > 0) return false;
      stalled.push(res);
      hang(req, res, options);
      arrived();
      return true;
    };
    return { intercept, came };
  }

  it.each([
    { name: 'a token endpoint that never answers', path: '/token', trickle: false },
    { name: 'metadata whose answer never ends', path: '/.well-known/oauth-authorization-server', trickle: true },
  ])('$name: the connect fails (retryable) once connectMs has passed', async ({ path, trickle }) => {
    const { intercept, came } = stall(path, { trickle });
    await start({ as: intercept });
    const attempt = connectError(httpServer(rs.url, cc()));
    await came;
    h.clock.increment(5_000);
    expect(classifyConnectError(await attempt)).toEqual({
      code: 'AuthRequired',
      message: expect.stringMatching(new RegExp(`server "s": the authorization server did not answer http://127\\.0\\.0\\.1:\\d+${path} within 5000 ms`)),
      retryable: true,
    });
  });

  it('a token request that hangs mid-session fails its call, and the next call renews the token', async () => {
    const { intercept, came } = stall('/token');
    let stalling = false;
    await start({ as: (req, res, at) => stalling && intercept(req, res, at) });
    const session = await h.connect(httpServer(rs.url, cc()));
    as.revokeAccessTokens();
    stalling = true;
    const call = session.client.callTool({ name: 'echo', arguments: { text: 'first' } }).then(
      () => 'answered',
      (error: unknown) => String(error),
    );
    await came;
    h.clock.increment(5_000);
    expect(await call).toMatch(/did not answer .*\/token within 5000 ms/);
    // The flow queue is free again: the next call gets a token and goes through.
    stalling = false;
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'second' } }))).toBe('second');
  });
});
