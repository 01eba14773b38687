import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { AuthError } from '../../src/auth/index.js';
import { startLoopback, type Loopback } from '../../src/auth/loopback.js';

const open: Loopback[] = [];

afterEach(async () => {
  for (const loopback of open.splice(0)) await loopback.close();
});

async function start(options: { redirectUrl?: string; timeoutMs?: number; clock?: SimulatedClock } = {}) {
  const loopback = await startLoopback({ state: 'the-state', timeoutMs: options.timeoutMs ?? 60_000, clock: options.clock ?? new SimulatedClock(), ...(options.redirectUrl ? { redirectUrl: options.redirectUrl } : {}) });
  open.push(loopback);
  return loopback;
}

/** True when something can bind 127.0.0.1:`port` (nothing holds it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('the loopback listener', () => {
  it('listens on 127.0.0.1 at an ephemeral port and /callback by default', async () => {
    const loopback = await start();
    expect(loopback.redirectUrl.hostname).toBe('127.0.0.1');
    expect(loopback.redirectUrl.pathname).toBe('/callback');
    expect(Number(loopback.redirectUrl.port)).toBeGreaterThan(0);
  });

  it('refuses a redirect with the wrong state (400) and keeps waiting for the right one', async () => {
    const loopback = await start();
    const wrong = new URL(loopback.redirectUrl);
    wrong.search = '?code=forged&state=other';
    const refused = await fetch(wrong);
    expect(refused.status).toBe(400);
    await refused.text();
    const right = new URL(loopback.redirectUrl);
    right.search = '?code=the-code&state=the-state';
    const accepted = await fetch(right);
    expect(accepted.status).toBe(200);
    await accepted.text();
    await expect(loopback.code).resolves.toBe('the-code');
  });

  it('rejects the flow on an error redirect with the right state', async () => {
    const loopback = await start();
    const url = new URL(loopback.redirectUrl);
    url.search = '?error=access_denied&state=the-state';
    await (await fetch(url)).text();
    await expect(loopback.code).rejects.toThrow(/refused the authorization: access_denied/);
  });

  it('releases its port once the code arrived', async () => {
    const loopback = await start();
    const port = Number(loopback.redirectUrl.port);
    expect(await portIsFree(port)).toBe(false);
    const url = new URL(loopback.redirectUrl);
    url.search = '?code=c&state=the-state';
    await (await fetch(url)).text();
    await loopback.code;
    await loopback.close();
    expect(await portIsFree(port)).toBe(true);
  });

  it('listens on the port and path of a configured redirect URL', async () => {
    const first = await start();
    const port = Number(first.redirectUrl.port);
    await first.close();
    const loopback = await start({ redirectUrl: `http://127.0.0.1:${port}/oauth/done` });
    expect(loopback.redirectUrl.href).toBe(`http://127.0.0.1:${port}/oauth/done`);
    const elsewhere = await fetch(`http://127.0.0.1:${port}/callback?code=c&state=the-state`);
    expect(elsewhere.status).toBe(404);
    await elsewhere.text();
  });

  it('times out after its timeout on the given clock, and releases the port', async () => {
    const clock = new SimulatedClock();
    const loopback = await start({ timeoutMs: 300_000, clock });
    const port = Number(loopback.redirectUrl.port);
    let settled = false;
    const outcome = loopback.code.catch((e: unknown) => e).finally(() => (settled = true));
    clock.increment(299_999);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.increment(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toContain('no authorization arrived within 300 s');
    await loopback.close();
    expect(await portIsFree(port)).toBe(true);
  });

  it('ends a pending flow when closed', async () => {
    const loopback = await start();
    await loopback.close();
    await expect(loopback.code).rejects.toThrow(/ended before its redirect arrived/);
  });
});
