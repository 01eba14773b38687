import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboard, isSwitchboardError, type Switchboard } from '../../src/index.js';
import { ERAS } from '../helpers/eras.js';
import { startSseServer, type TestHttpServer } from '../helpers/httpServers.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { recordEvents } from '../helpers/switchboard.js';

/**
 * One switchboard against four real servers at once: an SDK McpServer in memory, a stdio child
 * process, a streamable-HTTP server and a legacy SSE server on 127.0.0.1. Runs once per era
 * (test/helpers/eras.ts): in the modern row the memory, stdio and HTTP servers are the v2 fixture
 * refusing legacy clients (2026-07-28 only) while the SSE server stays legacy (pinned per server),
 * so one switchboard speaks both eras at once.
 */
describe.each(ERAS)('one switchboard over memory, stdio, streamable HTTP and SSE ($era)', (era) => {
  let http: { url: string; close(): Promise<void> };
  let sse: TestHttpServer;
  let sb: Switchboard;
  let events: ReturnType<typeof recordEvents>;
  /** Tools of each server: the era's fixture on three, the v1 demo tools on SSE. */
  const toolsOf = (name: string) => (name === 'legacy' ? 11 : era.fixtureToolCount);

  beforeAll(async () => {
    http = await era.startHttpFixture('web');
    sse = await startSseServer('legacy');
    sb = createSwitchboard(
      era.config({
        servers: {
          files: era.stdioFixture('files'),
          web: { transport: 'http' as const, url: http.url },
          // SSE exists in the legacy era only.
          legacy: { transport: 'sse' as const, url: sse.url, protocol: '2025-11-25' as const },
        },
      }),
      { transports: { mem: era.memoryFixture('mem') } },
    );
    events = recordEvents(sb);
    await sb.start();
  });

  afterAll(async () => {
    await sb?.stop();
    await http?.close();
    await sse?.close();
  });

  it('connects every server and reports the transitions as events', () => {
    for (const name of ['files', 'web', 'legacy', 'mem']) {
      expect(sb.getServer(name)).toMatchObject({ state: 'connected', toolsCount: toolsOf(name), serverInfo: { name } });
      const transitions = events.filter((e) => e.type === 'server.stateChanged' && e.server === name).map((e) => e.type === 'server.stateChanged' && `${e.from}>${e.to}`);
      expect(transitions).toEqual(['disconnected>connecting', 'connecting>connected']);
    }
    expect(sb.listServers().map((s) => s.transport).sort()).toEqual(['custom', 'http', 'sse', 'stdio']);
  });

  it('lists the tools of every server with qualified names', () => {
    const tools = sb.listTools();
    expect(tools).toHaveLength(['files', 'web', 'legacy', 'mem'].reduce((sum, name) => sum + toolsOf(name), 0));
    expect(tools.map((t) => t.qualifiedName)).toEqual(expect.arrayContaining(['files__echo', 'web__add', 'legacy__whoami', 'mem__only_mem']));
    const add = sb.listTools('web').find((t) => t.name === 'add')!;
    expect(add).toMatchObject({ server: 'web', qualifiedName: 'web__add', outputSchema: { type: 'object' } });
    expect(sb.listTools('files').find((t) => t.name === 'echo')!.annotations).toEqual({ readOnlyHint: true });
  });

  it('routes a unique bare name, a qualified name and an explicit server', async () => {
    const text = (r: Awaited<ReturnType<Switchboard['callTool']>>) => (r.content[0] as { text: string }).text;
    expect(text(await sb.callTool('only_legacy'))).toBe('only legacy');
    expect(text(await sb.callTool('only_files'))).toBe('only files');
    for (const name of ['files', 'web', 'legacy', 'mem']) {
      expect(text(await sb.callTool(`${name}__whoami`))).toBe(name);
      expect(text(await sb.callTool('whoami', {}, { server: name }))).toBe(name);
    }
  });

  it('refuses a name shared by several servers with AmbiguousTool naming them', async () => {
    const error = await sb.callTool('echo', { text: 'x' }).catch((e: unknown) => e);
    expect(isSwitchboardError(error) && error.code).toBe('AmbiguousTool');
    expect((error as { servers: string[] }).servers.sort()).toEqual(['files', 'legacy', 'mem', 'web']);
  });

  it('reports unknown servers and tools with their own codes', async () => {
    await expect(sb.callTool('nope')).rejects.toMatchObject({ code: 'ToolNotFound' });
    await expect(sb.callTool('nope__echo')).rejects.toMatchObject({ code: 'ToolNotFound' });
    await expect(sb.callTool('echo', {}, { server: 'nope' })).rejects.toMatchObject({ code: 'ServerNotFound' });
    await expect(sb.callTool('nope', {}, { server: 'web' })).rejects.toMatchObject({ code: 'ToolNotFound' });
  });

  it('passes isError results and structuredContent through unchanged without counting breaker failures', async () => {
    for (const name of ['files', 'web', 'legacy', 'mem']) {
      const failed = await sb.callTool(`${name}__fail`);
      expect(era.wireless(failed)).toEqual({ isError: true, content: [{ type: 'text', text: 'it failed' }] });
      const sum = await sb.callTool('add', { a: 2, b: 3 }, { server: name });
      expect(era.wireless(sum)).toEqual({ content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 } });
    }
    for (let i = 0; i < 10; i++) await sb.callTool('web__fail');
    const breaker = sb.getServer('web')!.breaker!;
    expect(breaker.state).toBe('closed');
    expect(breaker.failedCalls).toBe(0);
    const completed = events.filter((e) => e.type === 'call.completed' && e.server === 'web' && e.tool === 'fail');
    expect(completed.at(-1)).toMatchObject({ ok: true, isError: true });
  });

  it('maps a -32602 answer to InvalidArguments, counted as a breaker success', async () => {
    await expect(sb.callTool('mem__invalid_params')).rejects.toMatchObject({ code: 'InvalidArguments' });
    await expect(sb.callTool('files__invalid_params')).rejects.toMatchObject({ code: 'InvalidArguments' });
    expect(sb.getServer('mem')!.breaker!.failedCalls).toBe(0);
    expect(sb.getServer('files')!.breaker!.failedCalls).toBe(0);
  });

  it("returns the SDK server's own validation failures as isError results", async () => {
    const result = await sb.callTool('mem__add', { a: 'x' });
    expect(result.isError).toBe(true);
  });

  it('stops every child process and leaves no session open', async () => {
    const pid = fixturePid(sb.getServer('files')!.stderrTail);
    const grandchild = Number(((await sb.callTool('files__spawn_child')).content[0] as { text: string }).text);
    await sb.stop();
    expect(await waitGone(pid)).toBe(true);
    expect(await waitGone(grandchild)).toBe(true);
    await expect(sb.callTool('files__echo', { text: 'x' })).rejects.toMatchObject({ code: 'Stopped' });
    await sb.stop();
  });
});
