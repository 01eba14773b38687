import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { AuthRequestGuard } from '../../src/auth/guardedFetch.js';
import type { Authorize } from '../../src/auth/index.js';
import { codeFromRedirect, harness, httpServer, textOf, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type Intercept, type TestAuthServer, type TestResourceServer } from './servers.js';

/**
 * A request's time bound (`timeouts.connectMs`) never outlives the request's use. The SDK drops
 * some answers without reading or cancelling them (the 404 of path-aware resource metadata
 * discovery): their bounds must not run on into the consent step, which takes as long as the
 * person needs (only the consent timeout, connectMs × 30, applies there), and fail the flow.
 */

const CONNECT_MS = 5_000;

let as: TestAuthServer | undefined;
let rs: TestResourceServer | undefined;
let h: Harness | undefined;
let plain: Server | undefined;

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
  plain?.closeAllConnections();
  if (plain) await new Promise((resolve) => plain!.close(resolve));
  [h, rs, as, plain] = [undefined, undefined, undefined, undefined];
});

describe('a consent slower than timeouts.connectMs', () => {
  /** Path-aware protected resource metadata answers 404 (`body` decides how); the root has it. */
  function rootMetadataOnly(body: (res: ServerResponse) => void): Intercept {
    return (req, res, at) => {
      const origin = new URL(rs!.url).origin;
      if (at.pathname === '/.well-known/oauth-protected-resource/mcp') {
        req.resume();
        body(res);
        return true;
      }
      if (at.pathname === '/.well-known/oauth-protected-resource') {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ resource: `${origin}/mcp`, authorization_servers: [as!.url] }));
        return true;
      }
      // A challenge without resource_metadata: the SDK tries the path-aware URL first, then the root.
      if (at.pathname === '/mcp' && !req.headers.authorization) {
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end();
        return true;
      }
      return false;
    };
  }

  it.each([
    { name: 'a 404 with a small body', body: (res: ServerResponse) => void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not_found"}') },
    { name: 'a 404 whose body never ends', body: (res: ServerResponse) => void res.writeHead(404, { 'Content-Type': 'application/json' }).write('{"error":') },
  ])('connects when path-aware metadata is $name and the person takes 4 × connectMs', async ({ body }) => {
    as = await startAuthServer();
    rs = await startResourceServer(as, { authServer: () => as!.url, intercept: rootMetadataOnly(body) });
    const clock = new SimulatedClock();
    // The person reads the page for a while: every timer due meanwhile fires before the code comes back.
    const slow: Authorize = async (request) => {
      clock.increment(4 * CONNECT_MS);
      return codeFromRedirect(request);
    };
    h = harness({ authorize: slow, clock });
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }, { timeouts: { connectMs: CONNECT_MS } }));
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'after consent' } }))).toBe('after consent');
    expect(as.tokenRequests.map((g) => g.grant)).toEqual(['authorization_code']);
  });
});

/** A clock that counts the timers it holds. */
function countingClock(): { clock: Clock; simulated: SimulatedClock; pending: () => number } {
  const simulated = new SimulatedClock();
  const live = new Set<unknown>();
  const clock: Clock = {
    setTimeout: (fn, ms) => {
      const id = simulated.setTimeout(() => {
        live.delete(id);
        fn();
      }, ms);
      live.add(id);
      return id;
    },
    clearTimeout: (id) => {
      live.delete(id);
      simulated.clearTimeout(id);
    },
  };
  return { clock, simulated, pending: () => live.size };
}

describe('AuthRequestGuard: time bounds of answers nobody reads', () => {
  /** `/stuck` answers 404 with a body that never ends; `/ok` answers JSON. `closed` resolves when a /stuck answer went away. */
  async function start() {
    const closes: Promise<void>[] = [];
    plain = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      if (req.url === '/stuck') {
        closes.push(new Promise((resolve) => res.on('close', () => resolve())));
        res.writeHead(404, { 'Content-Type': 'application/json' }).write('{"error":');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => plain!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const counting = countingClock();
    const guard = new AuthRequestGuard({ server: 's', serverUrl: new URL(`${base}/mcp`), base: fetch, timeoutMs: CONNECT_MS, clock: counting.clock });
    return { base, guard, closes, ...counting };
  }

  it('a bound that runs out while nobody reads the body cancels it and fails nothing; a later read fails', async () => {
    const { base, guard, closes, simulated, pending } = await start();
    const dropped = await guard.fetch(`${base}/stuck`);
    simulated.increment(CONNECT_MS);
    await closes[0];
    expect(guard.failure()).toBeUndefined();
    expect(pending()).toBe(0);
    // Reading it now is reading past its bound.
    await expect(dropped.text()).rejects.toThrow(/read after its time bound/);
  });

  it('the next request cancels an answer left unread and ends its bound', async () => {
    const { base, guard, closes, simulated, pending } = await start();
    await guard.fetch(`${base}/stuck`);
    expect(await (await guard.fetch(`${base}/ok`)).json()).toEqual({ ok: true });
    await closes[0];
    expect(pending()).toBe(0);
    simulated.increment(10 * CONNECT_MS);
    expect(guard.failure()).toBeUndefined();
  });

  it('release() (the consent step) cancels unread answers; an answer being read still fails at its bound', async () => {
    const { base, guard, closes, simulated, pending } = await start();
    await guard.fetch(`${base}/stuck`);
    guard.release();
    await closes[0];
    expect(pending()).toBe(0);
    expect(guard.failure()).toBeUndefined();
    // Someone reads this one: its bound is the flow's failure, as before.
    const read = (await guard.fetch(`${base}/stuck`)).text();
    await new Promise((resolve) => setImmediate(resolve));
    simulated.increment(CONNECT_MS);
    await expect(read).rejects.toThrow(/did not answer .*\/stuck within 5000 ms/);
    expect(guard.failure()?.message).toMatch(/did not answer .*\/stuck within 5000 ms/);
  });
});
