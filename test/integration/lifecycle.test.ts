import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSwitchboard } from '../../src/index.js';
import { startStreamableHttpServer } from '../helpers/httpServers.js';
import { activeResources, fixturePid, waitGone } from '../helpers/processes.js';
import { inMemoryServer, recordEvents, stdioServer, until } from '../helpers/switchboard.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const fast = { reconnect: { baseMs: 50, minMs: 20, maxMs: 200 }, timeouts: { connectMs: 5000, callMs: 5000 } };

describe('switchboard lifecycle', () => {
  it('keeps the other servers working when one cannot start', async () => {
    const port = await closedPort();
    const sb = createSwitchboard({
      servers: {
        missing: { transport: 'stdio', command: '/nonexistent/mcp-server' },
        offline: { transport: 'http', url: `http://127.0.0.1:${port}/mcp` },
        files: stdioServer('files'),
      },
      defaults: fast,
    });
    const events = recordEvents(sb);
    await sb.start();
    expect(sb.getServer('missing')).toMatchObject({ state: 'error', lastError: { code: 'ENOENT', retryable: false } });
    expect(sb.getServer('offline')).toMatchObject({ state: 'disconnected', substate: 'backoff', lastError: { code: 'ECONNREFUSED' } });
    expect(sb.getServer('files')!.state).toBe('connected');
    expect(events.filter((e) => e.type === 'server.stateChanged' && e.server === 'missing' && e.to === 'connecting')).toHaveLength(1);
    const result = await sb.callTool('only_files');
    expect(result.content).toEqual([{ type: 'text', text: 'only files' }]);
    await expect(sb.callTool('echo', {}, { server: 'missing' })).rejects.toMatchObject({ code: 'ServerUnavailable' });
    await sb.stop();
  });

  it('connects a server whose HTTP endpoint comes up later', async () => {
    const port = await closedPort();
    const sb = createSwitchboard({ servers: { web: { transport: 'http', url: `http://127.0.0.1:${port}/mcp` } }, defaults: fast });
    await sb.start();
    expect(sb.getServer('web')!.state).toBe('disconnected');
    const http = await startStreamableHttpServer('web', port);
    try {
      await until(() => sb.getServer('web')!.state === 'connected', 10_000, 'web to connect');
      expect(sb.listTools('web').length).toBeGreaterThan(0);
    } finally {
      await sb.stop();
      await http.close();
    }
  });

  it('waits for a connecting server within the call deadline', async () => {
    const sb = createSwitchboard({ servers: { files: stdioServer('files') } });
    const started = sb.start();
    const result = await sb.callTool('whoami', {}, { server: 'files' });
    expect(result.content).toEqual([{ type: 'text', text: 'files' }]);
    await started;
    await sb.stop();
  });

  it('ends a pending start() when stop() comes first', async () => {
    const web = await startStreamableHttpServer('web');
    web.faults.hangInit = true;
    const sb = createSwitchboard({ servers: { web: { transport: 'http', url: web.url } }, defaults: { timeouts: { connectMs: 60_000 } } });
    const started = sb.start();
    await until(() => sb.getServer('web')!.state === 'connecting', 5_000, 'connecting');
    await sb.stop();
    await expect(started).resolves.toBeUndefined();
    await web.close();
  });

  it('adds, reconnects and removes servers at run time', async () => {
    const sb = createSwitchboard({ servers: {} }, { transports: { mem: inMemoryServer('mem') } });
    const events = recordEvents(sb);
    await sb.start();
    sb.addServer('files', stdioServer('files'));
    await until(() => sb.getServer('files')?.state === 'connected', 10_000, 'files to connect');
    expect(events).toContainEqual(expect.objectContaining({ type: 'tools.changed', server: 'files', added: expect.arrayContaining(['echo']) }));
    const firstPid = fixturePid(sb.getServer('files')!.stderrTail);
    sb.reconnect('files');
    await until(() => sb.getServer('files')?.state === 'connected' && sb.getServer('files')!.reconnects === 1, 10_000, 'reconnect');
    expect(await waitGone(firstPid)).toBe(true);
    expect(fixturePid(sb.getServer('files')!.stderrTail)).not.toBe(firstPid);
    const secondPid = fixturePid(sb.getServer('files')!.stderrTail);
    expect(() => sb.addServer('files', stdioServer('files'))).toThrow(/exists already/);
    expect(() => sb.addServer('bad__name', stdioServer('x'))).toThrow(/must not contain/);
    await sb.removeServer('files');
    expect(await waitGone(secondPid)).toBe(true);
    expect(sb.getServer('files')).toBeUndefined();
    expect(sb.listTools().every((t) => t.server === 'mem')).toBe(true);
    await expect(sb.callTool('only_files')).rejects.toMatchObject({ code: 'ToolNotFound' });
    await sb.stop();
  });

  it('relists tools when a server announces list_changed', async () => {
    const sb = createSwitchboard({ servers: {} }, { transports: { mem: inMemoryServer('mem') } });
    const events = recordEvents(sb);
    await sb.start();
    await sb.callTool('add_tool', { tool: 'fresh' });
    await until(() => sb.listTools('mem').some((t) => t.name === 'fresh'), 5_000, 'the new tool');
    expect(events).toContainEqual({ type: 'tools.changed', server: 'mem', added: ['fresh'], removed: [], changed: [] });
    expect((await sb.callTool('fresh')).content).toEqual([{ type: 'text', text: 'fresh' }]);
    await sb.stop();
  });

  it('applies allow and deny globs to a server catalog', async () => {
    const filtered = createSwitchboard({ servers: { files: stdioServer('files', undefined, { tools: { allow: ['e*', 'add'], deny: ['env'] } }) } });
    await filtered.start();
    expect(filtered.listTools().map((t) => t.name).sort()).toEqual(['add', 'echo']);
    await expect(filtered.callTool('files__whoami')).rejects.toMatchObject({ code: 'ToolNotFound' });
    await filtered.stop();
  });

  it('recovers a stdio server that crashed mid-call and rejects that call with ConnectionLost', async () => {
    const sb = createSwitchboard({ servers: { files: stdioServer('files') }, defaults: fast });
    await sb.start();
    const pid = fixturePid(sb.getServer('files')!.stderrTail);
    await expect(sb.callTool('files__crash')).rejects.toMatchObject({ code: 'ConnectionLost' });
    expect(await waitGone(pid)).toBe(true);
    await until(() => sb.getServer('files')!.state === 'connected', 10_000, 'reconnect after crash');
    expect((await sb.callTool('files__whoami')).content).toEqual([{ type: 'text', text: 'files' }]);
    expect(sb.getServer('files')!.reconnects).toBe(1);
    await sb.stop();
  });

  it('leaves no timer, socket or child behind after stop', async () => {
    const baseline = activeResources();
    const http = await startStreamableHttpServer('web');
    const sb = createSwitchboard({ servers: { files: stdioServer('files'), web: { transport: 'http', url: http.url } } });
    await sb.start();
    const pid = fixturePid(sb.getServer('files')!.stderrTail);
    await sb.callTool('files__echo', { text: 'a' });
    await sb.callTool('web__echo', { text: 'b' });
    await sb.stop();
    await http.close();
    expect(await waitGone(pid)).toBe(true);
    // Our own polling holds one Timeout; sockets, pipes and processes must be back to the baseline.
    const settled = () => {
      const now = activeResources();
      return ['TCPSocketWrap', 'TCPServerWrap', 'ProcessWrap', 'PipeWrap'].every((t) => (now[t] ?? 0) <= (baseline[t] ?? 0)) && (now.Timeout ?? 0) <= (baseline.Timeout ?? 0) + 1;
    };
    await until(settled, 5_000, 'handles back to baseline');
  });
});
