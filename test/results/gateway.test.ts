import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDownstreams, connectDownstream, ERAS } from '../gateway/eras.js';
import { stdioServer } from '../helpers/switchboard.js';
import { setup, teardown } from '../gateway/upstream.js';

/**
 * `gateway.maxResultChars` (DESIGN §17): what the gateway returns to a downstream client, in both
 * eras, is capped at 100 000 characters by default, on top of a server's own `limits.maxResultChars`.
 * The upstream is a real McpServer whose `echo` answers with its argument; the last suite runs the
 * gateway as a host does (a child process over stdio, the built output) in front of a stdio server.
 */

const STDIO_GATEWAY = fileURLToPath(new URL('../gateway/stdioGateway.mjs', import.meta.url));

afterEach(async () => {
  await closeDownstreams();
  await teardown();
});

const marker = (chars: number) => `\n… [cut by mcp-switchboard: ${chars} characters in all]`;
const HEALTH = { health: { intervalMs: 0 } };

describe.each(ERAS)('gateway.maxResultChars (%s client)', (era) => {
  it('cuts a result at 100 000 characters by default', async () => {
    const { gateway } = await setup();
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const result = await client.callTool({ name: 'up__echo', arguments: { text: 'g'.repeat(250_000) } });
    expect(result.content).toEqual([{ type: 'text', text: 'g'.repeat(100_000) + marker(250_000) }]);
    expect(result._meta?.['mcp-switchboard/truncated']).toEqual({ originalChars: 250_000 });
    // Within the cap, nothing changes.
    expect((await client.callTool({ name: 'up__echo', arguments: { text: 'small' } })).content).toEqual([{ type: 'text', text: 'small' }]);
  });

  it('applies its own cap after the server\'s, keeping the original count', async () => {
    const { gateway } = await setup({ config: { defaults: { ...HEALTH, limits: { maxResultChars: 50_000 } }, gateway: { maxResultChars: 2_000 } } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const result = await client.callTool({ name: 'up__echo', arguments: { text: 'h'.repeat(1_000_000) } });
    expect(result.content).toEqual([{ type: 'text', text: 'h'.repeat(2_000) + marker(1_000_000) }]);
    expect(result._meta?.['mcp-switchboard/truncated']).toEqual({ originalChars: 1_000_000 });
  });

  it('leaves results whole with gateway.maxResultChars: 0', async () => {
    const { gateway } = await setup({ config: { defaults: HEALTH, gateway: { maxResultChars: 0 } } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const result = await client.callTool({ name: 'up__echo', arguments: { text: 'k'.repeat(250_000) } });
    expect(result.content).toEqual([{ type: 'text', text: 'k'.repeat(250_000) }]);
    expect(result._meta?.['mcp-switchboard/truncated']).toBeUndefined();
  });

  it('caps a resource read and a prompt', async () => {
    const { gateway } = await setup({ config: { defaults: HEALTH, gateway: { maxResultChars: 5 } } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const read = await client.readResource({ uri: 'mem://up/readme' });
    expect(read.contents).toEqual([{ uri: 'mem://up/readme', text: 'readm' + marker('readme of up'.length) }]);
    const prompt = await client.getPrompt({ name: 'up__greet', arguments: { who: 'ada' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello' + marker('Hello ada from up'.length) } }]);
    expect(prompt._meta?.['mcp-switchboard/truncated']).toEqual({ originalChars: 'Hello ada from up'.length });
  });
});

describe.each(ERAS)('gateway.maxResultChars over stdio (%s client)', (era) => {
  it('cuts what a stdio server returns, in front of it as a host runs it', async () => {
    const config = { servers: { files: stdioServer('files') }, defaults: HEALTH, gateway: { maxResultChars: 1_000 } };
    const client = await connectDownstream(era, { kind: 'stdio', server: { command: process.execPath, args: [STDIO_GATEWAY, JSON.stringify(config)] } });
    const result = await client.callTool({ name: 'files__echo', arguments: { text: 's'.repeat(300_000) } });
    expect(result.content).toEqual([{ type: 'text', text: 's'.repeat(1_000) + marker(300_000) }]);
    expect(result._meta?.['mcp-switchboard/truncated']).toEqual({ originalChars: 300_000 });
  });
});
