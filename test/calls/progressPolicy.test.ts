import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProgressPolicy, QUICK_MS, QUIET_CALLS } from '../../src/calls/progressPolicy.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';

/**
 * A progress token goes only where progress can matter (src/calls/progressPolicy.ts): a tool that
 * answers quickly call after call stops getting one; a tool that reports progress or runs long
 * keeps it; a caller that asks for progress always gets one.
 */

describe('ProgressPolicy', () => {
  it('stops a tool’s tokens after QUIET_CALLS quick calls in a row without progress, and brings them back when one runs long or reports progress', () => {
    const policy = new ProgressPolicy();
    for (let i = 0; i < QUIET_CALLS - 1; i++) policy.settled('s', 'fast', 5, 60_000, false);
    expect(policy.wants('s', 'fast')).toBe(true);
    policy.settled('s', 'fast', 5, 60_000, false);
    expect(policy.wants('s', 'fast')).toBe(false);
    // Another server's tool of the same name learns on its own.
    expect(policy.wants('t', 'fast')).toBe(true);
    policy.settled('s', 'fast', QUICK_MS + 1, 60_000, false);
    expect(policy.wants('s', 'fast')).toBe(true);
    for (let i = 0; i < QUIET_CALLS; i++) policy.settled('s', 'fast', 5, 60_000, false);
    expect(policy.wants('s', 'fast')).toBe(false);
    policy.progressed('s', 'fast');
    expect(policy.wants('s', 'fast')).toBe(true);
  });

  it('counts a call as quick only within a tenth of its own timeout, and never one that reported progress', () => {
    const policy = new ProgressPolicy();
    for (let i = 0; i < QUIET_CALLS; i++) policy.settled('s', 'a', 150, 1_000, false);
    expect(policy.wants('s', 'a')).toBe(true);
    for (let i = 0; i < QUIET_CALLS; i++) policy.settled('s', 'b', 5, 60_000, true);
    expect(policy.wants('s', 'b')).toBe(true);
    for (let i = 0; i < QUIET_CALLS; i++) policy.settled('s', 'c', 100, 1_000, false);
    expect(policy.wants('s', 'c')).toBe(false);
  });
});

describe('progress tokens on the wire', () => {
  const boards: Switchboard[] = [];
  afterEach(async () => {
    await Promise.all(boards.splice(0).map((sb) => sb.stop()));
  });

  async function setup() {
    const clock = new SimulatedClock();
    /** The progress token each call of each tool carried (undefined: none). */
    const tokens: Record<string, unknown[]> = { work: [], report: [] };
    const held: (() => void)[] = [];
    const transport = async () => {
      const mcp = new McpServer({ name: 'tokens', version: '1.0.0' });
      mcp.registerTool('work', { inputSchema: { hold: z.boolean().optional() } }, async ({ hold }, extra) => {
        tokens.work!.push(extra._meta?.progressToken);
        if (hold) await new Promise<void>((resolve) => held.push(resolve));
        return { content: [] };
      });
      mcp.registerTool('report', {}, async (extra) => {
        const token = extra._meta?.progressToken;
        tokens.report!.push(token);
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
        return { content: [] };
      });
      const [client, serverSide] = InMemoryTransport.createLinkedPair();
      await mcp.connect(serverSide);
      return client;
    };
    const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { clock, transports: { s: transport } });
    boards.push(sb);
    await sb.start();
    return { sb, clock, tokens, held };
  }

  it('sends a token with a quick tool’s first calls only, with every call that asks for progress, and again after one ran long', async () => {
    const { sb, clock, tokens, held } = await setup();
    for (let i = 0; i < QUIET_CALLS + 3; i++) await sb.callTool('s__work', {});
    expect(tokens.work!.slice(0, QUIET_CALLS).every((t) => t !== undefined)).toBe(true);
    expect(tokens.work!.slice(QUIET_CALLS)).toEqual([undefined, undefined, undefined]);
    // A caller that asks for progress gets a token whatever the tool's record.
    await sb.callTool('s__work', {}, { onProgress: () => undefined });
    expect(tokens.work!.at(-1)).not.toBeUndefined();
    // One call runs longer than QUICK_MS: from then on the tool's calls carry tokens again.
    const slow = sb.callTool('s__work', { hold: true });
    while (held.length === 0) await new Promise((r) => setImmediate(r));
    expect(tokens.work!.at(-1)).toBeUndefined();
    clock.increment(QUICK_MS + 1);
    held.shift()!();
    await slow;
    await sb.callTool('s__work', {});
    expect(tokens.work!.at(-1)).not.toBeUndefined();
  });

  it('keeps sending a token to a tool that reports progress, call after call', async () => {
    const { sb, tokens } = await setup();
    for (let i = 0; i < QUIET_CALLS + 5; i++) await sb.callTool('s__report', {});
    expect(tokens.report!.every((t) => t !== undefined)).toBe(true);
  });
});
