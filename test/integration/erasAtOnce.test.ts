import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { everythingStdioConfig, EVERYTHING_MARKER } from '../helpers/everything.js';
import { markedProcesses, waitUnmarked } from '../helpers/processes.js';
import { until } from '../helpers/switchboard.js';
import { startV2HttpServer, V2_SERVER_ENTRY, type V2HttpServer } from '../helpers/v2Servers.js';

/**
 * Issue 20, "done when": one switchboard under the default `protocol: auto` reaches a server that
 * rejects legacy clients over stdio and over streamable HTTP, and server-everything (legacy), at
 * once; each shows its era; every stdio connect is one process (no probe process beside it); a
 * reconnect sends no `server/discover` of its own.
 */

const MARKER = `eras-at-once-${process.pid}`;

/** The v2 fixture over stdio, refusing legacy clients, its process marked so it can be counted. */
const modernStdio = () => ({ transport: 'stdio' as const, command: process.execPath, args: [V2_SERVER_ENTRY, 'modern', '--modern-only', MARKER] });

/** How many processes of a stdio server have started: each announces itself once on stderr. */
const spawns = (sb: Switchboard, name: string) => (sb.getServer(name)!.stderrTail.match(/ pid \d+ up/g) ?? []).length;

const text = (result: unknown) => ((result as { content: { text: string }[] }).content[0]!.text);

describe('both eras at once under protocol auto', () => {
  let sb: Switchboard | undefined;
  let web: V2HttpServer | undefined;
  afterEach(async () => {
    await sb?.stop();
    await web?.close();
    sb = undefined;
    web = undefined;
    expect(await waitUnmarked(MARKER)).toEqual([]);
    expect(await waitUnmarked(EVERYTHING_MARKER)).toEqual([]);
  });

  it('reaches modern-only servers over stdio and HTTP and server-everything together, each showing its era', async () => {
    web = await startV2HttpServer('web', { modernOnly: true });
    sb = createSwitchboard({
      servers: { modern: modernStdio(), web: { transport: 'http', url: web.url }, everything: everythingStdioConfig() },
      defaults: { health: { intervalMs: 0 } },
    });
    await sb.start();
    expect(sb.getServer('modern')).toMatchObject({ state: 'connected', protocol: { era: 'modern', version: '2026-07-28' } });
    expect(sb.getServer('web')).toMatchObject({ state: 'connected', protocol: { era: 'modern', version: '2026-07-28' } });
    expect(sb.getServer('everything')).toMatchObject({ state: 'connected', protocol: { era: 'legacy' } });
    expect(sb.getServer('everything')!.protocol!.version).toMatch(/^2025-/);
    // Each answers a call in its own era.
    expect(text(await sb.callTool('modern__add', { a: 2, b: 3 }))).toBe('5');
    expect(text(await sb.callTool('web__add', { a: 4, b: 5 }))).toBe('9');
    expect(text(await sb.callTool('everything__echo', { message: 'hi' }))).toContain('hi');
    // One process for the modern stdio connect: the probe ran on the real child.
    expect(spawns(sb, 'modern')).toBe(1);
    expect(markedProcesses(MARKER)).toHaveLength(1);
    // Over HTTP the era was asked once.
    expect(web.state.methods.filter((m) => m === 'server/discover')).toHaveLength(1);
  });

  it('reconnects without asking again: one new process after a crash, no server/discover after reconnect()', async () => {
    web = await startV2HttpServer('web', { modernOnly: true });
    sb = createSwitchboard({ servers: { modern: modernStdio(), web: { transport: 'http', url: web.url } }, defaults: { health: { intervalMs: 0 } } });
    await sb.start();
    const discovers = () => web!.state.methods.filter((m) => m === 'server/discover').length;
    expect(discovers()).toBe(1);
    // The stdio child dies mid-call: the next connect is one process, and modern at once.
    await expect(sb.callTool('modern__crash')).rejects.toMatchObject({ code: 'ConnectionLost' });
    await until(() => spawns(sb!, 'modern') === 2 && sb!.getServer('modern')!.state === 'connected', 10_000, 'the modern server back');
    expect(sb.getServer('modern')!.protocol).toEqual({ era: 'modern', version: '2026-07-28' });
    expect(markedProcesses(MARKER)).toHaveLength(1);
    expect(text(await sb.callTool('modern__whoami'))).toBe('modern');
    // HTTP: a manual reconnect adopts the remembered discover result.
    sb.reconnect('web');
    await until(() => sb!.getServer('web')!.state === 'connected', 10_000, 'web reconnected');
    expect(text(await sb.callTool('web__whoami'))).toBe('web');
    expect(discovers()).toBe(1);
  });
});
