import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { v2InMemory } from '../helpers/v2Servers.js';

/**
 * The modern session's own rules (src/protocol/v2/session.ts), through the public API against a
 * v2 server that refuses legacy clients: results pass through as in legacy (no output-schema
 * check of our own making), `setLogLevel` is NotSupported, health probes are `server/discover`.
 */

/** A low-level v2 server whose tool's structuredContent breaks its own output schema. */
function server(): Server {
  const low = new Server({ name: 'shapes', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
  low.setRequestHandler('tools/list', async () => ({
    tools: [{ name: 'area', inputSchema: { type: 'object', properties: { side: { type: 'number' } } }, outputSchema: { type: 'object', properties: { area: { type: 'number' } }, required: ['area'] } }],
  }));
  low.setRequestHandler('tools/call', async (request) => {
    const side = Number((request.params.arguments as { side?: unknown } | undefined)?.side);
    return { content: [{ type: 'text', text: String(side * side) }], structuredContent: { area: `${side * side}` } };
  });
  return low;
}

describe('a modern session', () => {
  let sb: Switchboard | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });

  const open = async (observe?: (message: { method?: string }) => void) => {
    sb = createSwitchboard(
      { servers: {}, defaults: { health: { intervalMs: 0 } } },
      { transports: { shapes: v2InMemory(() => server(), { modernOnly: true, ...(observe ? { observe } : {}) }) } },
    );
    await sb.start();
    expect(sb.getServer('shapes')).toMatchObject({ state: 'connected', protocol: { era: 'modern', version: '2026-07-28' } });
    return sb;
  };

  it("passes a tool's structuredContent through unchanged even when it does not match the output schema, as legacy does", async () => {
    const s = await open();
    const result = (await s.callTool('shapes__area', { side: 3 })) as { structuredContent?: unknown; isError?: boolean };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ area: '9' });
  });

  it('refuses setLogLevel with NotSupported without sending anything', async () => {
    const methods: string[] = [];
    const s = await open((message) => {
      if (message.method) methods.push(message.method);
    });
    await expect(s.setLogLevel('debug', { server: 'shapes' })).rejects.toMatchObject({ code: 'NotSupported' });
    expect(methods).not.toContain('logging/setLevel');
  });

  it('checks health with server/discover, which a modern server answers', async () => {
    const methods: string[] = [];
    const s = await open((message) => {
      if (message.method) methods.push(message.method);
    });
    const before = methods.filter((m) => m === 'server/discover').length;
    const report = await s.health('shapes');
    expect(report.shapes).toMatchObject({ ok: true });
    expect(methods.filter((m) => m === 'server/discover').length).toBeGreaterThan(before);
    expect(methods).not.toContain('ping');
  });
});
