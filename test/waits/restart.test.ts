import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fixturePid, isAlive } from '../helpers/processes.js';
import { recordEvents, stdioServer, until } from '../helpers/switchboard.js';

/**
 * Issue 22's short outage with a real process: a stdio server SIGKILLed, a call made as soon as
 * the switchboard saw it go (where it used to get `ServerUnavailable {retryAfterMs: 287}`) waits
 * for the reconnect and returns the tool's result, by the library and through the gateway. The
 * reconnect policy is the default one (first retry within 250–1 000 ms, waitForReconnectMs 5 000).
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function started(): Promise<Switchboard> {
  const sb = createSwitchboard({ servers: { memory: stdioServer('memory') }, defaults: { health: { intervalMs: 0 } } });
  cleanups.push(() => sb.stop());
  await sb.start();
  expect(sb.getServer('memory')!.state).toBe('connected');
  return sb;
}

/** SIGKILLs the server's process and resolves once the switchboard saw it go (backing off); returns its pid. */
async function killed(sb: Switchboard): Promise<number> {
  const pid = fixturePid(sb.getServer('memory')!.stderrTail);
  process.kill(pid, 'SIGKILL');
  await until(() => sb.getServer('memory')!.state === 'disconnected', 5_000, 'the loss to be seen');
  expect(sb.getServer('memory')).toMatchObject({ substate: 'backoff' });
  expect(isAlive(pid)).toBe(false);
  return pid;
}

describe('a call right after a stdio server was killed', () => {
  it('returns the tool’s result once the server is back, not ServerUnavailable', async () => {
    const sb = await started();
    const events = recordEvents(sb);
    const pid = await killed(sb);
    const result = await sb.callTool('memory__echo', { text: 'still here' });
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'still here' }] });
    // On the new process, and the call was never refused.
    expect(fixturePid(sb.getServer('memory')!.stderrTail)).not.toBe(pid);
    const completed = events.filter((e) => e.type === 'call.completed');
    expect(completed).toMatchObject([{ tool: 'echo', ok: true }]);
  });

  it('returns the tool’s result through the gateway (no isError)', async () => {
    const sb = await started();
    const gateway: Gateway = createGateway(sb);
    cleanups.push(() => gateway.close());
    const client = new Client({ name: 'host', version: '1.0.0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide);
    await client.connect(clientSide);
    cleanups.push(() => client.close());
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('memory__echo');
    await killed(sb);
    const result = await client.callTool({ name: 'memory__echo', arguments: { text: 'through the gateway' } });
    expect(result.isError ?? false).toBe(false);
    expect(result.content).toEqual([{ type: 'text', text: 'through the gateway' }]);
  });
});
