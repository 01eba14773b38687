import { afterEach, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/core/logger.js';
import { createGateway, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { serve, type Service } from '../../src/server/serve.js';
import { runCli, writeConfig } from '../helpers/service.js';
import { stdioServer } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS } from './eras.js';

/**
 * Per-server `tools.rename` and `tools.describe` (DESIGN §18, issue 22) wherever a tool is shown or
 * routed: the library's listTools and callTool, the gateway, the admin API and the CLI. A real
 * stdio fixture server `files` lists echo, add, whoami, …; the config shows echo as `say`.
 */

const TOOLS = { allow: ['echo', 'add', 'whoami'], rename: { echo: 'say', add: 'whoami' }, describe: { echo: 'Says its text back' } };
const CONFIG = { servers: { files: stdioServer('files', undefined, { tools: TOOLS }) }, defaults: { health: { intervalMs: 0 } } };

const running: { sb: Switchboard; gateway?: Gateway; service?: Service }[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const { sb, gateway, service } of running.splice(0)) {
    await service?.close();
    await gateway?.close();
    await sb.stop();
  }
});

async function started(): Promise<{ sb: Switchboard; gateway: Gateway; lines: string[] }> {
  const lines: string[] = [];
  const router = createGatewayRouter();
  const sb = createSwitchboard(CONFIG as never, { handlers: router.handlers, logger: createJsonLogger({ write: (line) => void lines.push(line) }) });
  const gateway = createGateway(sb, { router });
  running.push({ sb, gateway });
  await sb.start();
  return { sb, gateway, lines };
}

describe('tool renames and descriptions', () => {
  it('shows a renamed tool under its new name and description, filtered by its own name', async () => {
    const { sb } = await started();
    const tools = sb.listTools('files');
    // allow matched the server's names (echo); the clashing rename add → whoami was skipped.
    expect(tools.map((t) => [t.name, t.qualifiedName])).toEqual([
      ['say', 'files__say'],
      ['add', 'files__add'],
      ['whoami', 'files__whoami'],
    ]);
    expect(tools[0]!.description).toBe('Says its text back');
  });

  it("calls the new name as the server's own, and not the old one", async () => {
    const { sb } = await started();
    expect((await sb.callTool('files__say', { text: 'hi' })).content).toEqual([{ type: 'text', text: 'hi' }]);
    expect((await sb.callTool('say', { text: 'bare' })).content).toEqual([{ type: 'text', text: 'bare' }]);
    expect((await sb.callTool('say', { text: 'named' }, { server: 'files' })).content).toEqual([{ type: 'text', text: 'named' }]);
    await expect(sb.callTool('files__echo', { text: 'x' })).rejects.toMatchObject({ code: 'ToolNotFound' });
    await expect(sb.callTool('echo', { text: 'x' }, { server: 'files' })).rejects.toMatchObject({ code: 'ToolNotFound' });
  });

  it('logs a skipped rename once, naming the clash', async () => {
    const { sb, lines } = await started();
    sb.listTools();
    sb.listTools();
    const warnings = lines.filter((l) => l.includes('tools.rename'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tools.rename \\"add\\" → \\"whoami\\" skipped: \\"whoami\\" is a tool of this server that keeps its name');
  });

  for (const era of ERAS) {
    it(`lists and calls the renamed tool through the gateway (${era} client)`, async () => {
      const { gateway } = await started();
      const client = await connectDownstream(era, { kind: 'memory', gateway });
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'files__say')).toMatchObject({ description: 'Says its text back' });
      expect(tools.some((t) => t.name === 'files__echo')).toBe(false);
      expect((await client.callTool({ name: 'files__say', arguments: { text: 'via gateway' } })).content).toEqual([{ type: 'text', text: 'via gateway' }]);
      await expect(client.callTool({ name: 'files__echo', arguments: { text: 'x' } })).rejects.toMatchObject({ code: -32602 });
    });
  }

  it('shows and calls it by its new name in the admin API', async () => {
    const { sb } = await started();
    const token = 'rename-test-token-0123456789';
    const service = await serve(sb, { port: 0, token, logger: createJsonLogger({ write: () => undefined }), logEvents: false });
    running.at(-1)!.service = service;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const { tools } = (await (await fetch(`${service.url}/mcp/tools`, { headers })).json()) as { tools: { name: string; qualifiedName: string; description?: string }[] };
    expect(tools.find((t) => t.qualifiedName === 'files__say')).toMatchObject({ name: 'say', description: 'Says its text back' });
    const call = await fetch(`${service.url}/mcp/call`, { method: 'POST', headers, body: JSON.stringify({ tool: 'say', server: 'files', arguments: { text: 'api' } }) });
    expect(await call.json()).toMatchObject({ content: [{ type: 'text', text: 'api' }] });
  });

  it('shows and calls it by its new name in the CLI', async () => {
    const config = writeConfig(JSON.stringify(CONFIG));
    const listed = await runCli(['tools', '--config', config, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).tools.map((t: { qualifiedName: string }) => t.qualifiedName)).toEqual(['files__say', 'files__add', 'files__whoami']);
    const called = await runCli(['call', 'files__say', '--args', '{"text":"cli"}', '--config', config]);
    expect({ code: called.code, stdout: called.stdout.trim() }).toEqual({ code: 0, stdout: 'cli' });
  });
});
