import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { createSwitchboard, qualifiedName, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS } from './eras.js';
import { newProbe, upstreamTransport } from './upstream.js';

/**
 * Issue 22, item 2 ("a qualified name whose server is connecting waits for ITS catalog within
 * the deadline"), found by the review of the gateway (test/review22, moved here): a gateway call
 * by a name not known yet waits only for the server the name belongs to, not for every server of
 * the session's view still starting. A server that never answers (`stuck`) must not delay calls
 * to a server that is connected and listed, nor a call to another starting server once that one
 * is in. The time bounds prove there is no wait until gateway.initialWaitMs, nothing more.
 */

const SLOW = fileURLToPath(new URL('./slowStartServer.mjs', import.meta.url));
const slowServer = (name: string, delay: number | 'never') => ({ transport: 'stdio' as const, command: process.execPath, args: [SLOW, name, String(delay)] });

const running: { sb: Switchboard; gateway: Gateway }[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const { sb, gateway } of running.splice(0)) {
    await gateway.close();
    await sb.stop();
  }
});

/** A switchboard (started, not waited for) with `servers` from config and `up` in memory, behind a gateway. */
function start(servers: Record<string, unknown>, initialWaitMs: number, settings: Record<string, unknown> = {}): { sb: Switchboard; gateway: Gateway } {
  const router = createGatewayRouter();
  const config = { defaults: { health: { intervalMs: 0 } }, servers, gateway: { initialWaitMs, ...settings } };
  const sb = createSwitchboard(config as never, { transports: { up: upstreamTransport('up', newProbe()) }, handlers: router.handlers });
  const gateway = createGateway(sb, { router, listChangedDebounceMs: 10 });
  running.push({ sb, gateway });
  void sb.start();
  return { sb, gateway };
}

describe.each(ERAS)('a gateway call by a name not known yet waits only for its own server (%s client)', (era) => {
  it('answers slow__whoami once "slow" has connected, not when an unrelated stuck server gives up', async () => {
    const { sb, gateway } = start({ slow: slowServer('slow', 2_500), stuck: slowServer('stuck', 'never') }, 20_000);
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const started = Date.now();
    const result = await client.callTool({ name: 'slow__whoami' });
    const ms = Date.now() - started;
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'slow' }] });
    expect(sb.getServer('stuck')!.state).not.toBe('connected');
    // "slow" is up after ~2.5-4 s; waiting for "stuck" too would answer at gateway.initialWaitMs (20 s).
    expect(ms).toBeLessThan(10_000);
  }, 40_000);

  it('answers an unknown tool of a connected, listed server at once while another server is stuck', async () => {
    const { sb, gateway } = start({ stuck: slowServer('stuck', 'never') }, 4_000);
    await until(() => sb.getServer('up')!.state === 'connected', 10_000, 'up to connect');
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    await client.listTools(); // the session's first list: waits 4 s for "stuck", as documented
    const started = Date.now();
    await expect(client.callTool({ name: 'up__no_such_tool' })).rejects.toThrow(/not found/);
    // "up" is connected and its catalog is known: there is nothing to wait for (else 4 s).
    expect(Date.now() - started).toBeLessThan(1_500);
  }, 40_000);

  it('finds the server of a renamed tool with a hashed name, of a server with a dot in its name', async () => {
    const renamed = { ...slowServer('my.slow', 2_000), tools: { rename: { whoami: 'who.am.i' } } };
    const { gateway } = start({ 'my.slow': renamed, stuck: slowServer('stuck', 'never') }, 20_000);
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const name = qualifiedName('my.slow', 'who.am.i');
    expect(name).not.toContain('.');
    const started = Date.now();
    expect(await client.callTool({ name })).toMatchObject({ content: [{ type: 'text', text: 'my.slow' }] });
    // Waiting for "stuck" too would answer (not found) at gateway.initialWaitMs (20 s).
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 40_000);

  it("waits in a profile only for the profile's servers and tools", async () => {
    const profiles = { mine: { servers: ['up', 'slow'], tools: { deny: ['slow__echo'] } } };
    const { sb, gateway } = start({ slow: slowServer('slow', 2_000), stuck: slowServer('stuck', 'never') }, 20_000, { profiles });
    await until(() => sb.getServer('up')!.state === 'connected', 10_000, 'up to connect');
    const client = await connectDownstream(era, { kind: 'memory', gateway, profile: 'mine' });
    const refusedAt = Date.now();
    // "stuck" is outside the profile, slow__echo hidden by its globs: both unknown at once, though both servers are starting.
    await expect(client.callTool({ name: 'stuck__whoami' })).rejects.toThrow(/stuck__whoami not found/);
    await expect(client.callTool({ name: 'slow__echo', arguments: { text: 'x' } })).rejects.toThrow(/slow__echo not found/);
    expect(Date.now() - refusedAt).toBeLessThan(1_500);
    expect(sb.getServer('slow')!.state).not.toBe('connected');
    // A tool of the profile's starting server waits for it.
    expect(await client.callTool({ name: 'slow__whoami' })).toMatchObject({ content: [{ type: 'text', text: 'slow' }] });
  }, 40_000);
});
