import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { ToolSearch } from '../../src/search/toolSearch.js';
import { until } from '../helpers/switchboard.js';

/** Review of issue 23 part 1: the index under churn, a failing embedder, and searches while servers connect. */

const tool = (server: string, name: string, description = '') => ({ server, name, qualifiedName: `${server}__${name}`, description, inputSchema: { type: 'object' } }) as never;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('review23: index churn', () => {
  it('a server re-indexed 300 times (catalog churn) answers each tool once, never a stale one', async () => {
    const s = new ToolSearch();
    for (let i = 0; i < 300; i++) {
      const tools = [tool('a', 'send_mail', 'Sends mail'), tool('a', `mail_extra_${i}`, 'mail helper')];
      s.sync([{ server: 'a', keys: [i], tools: () => tools }]);
      const found = (await s.search('mail', { limit: 100 })).map((t) => (t as { name: string }).name);
      expect(new Set(found).size).toBe(found.length);
      expect(found.sort()).toEqual([`mail_extra_${i}`, 'send_mail'].sort());
    }
    expect(s.size).toBe(2);
  });

  it('a typo correction never points at a word only a removed tool had', async () => {
    const s = new ToolSearch();
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'frobnicate_widget', 'x')] }]);
    expect((await s.search('frobnicaet')).length).toBe(1);
    s.sync([{ server: 'a', keys: [2], tools: () => [tool('a', 'other_thing', 'y')] }]);
    expect(await s.search('frobnicaet')).toEqual([]);
    expect(await s.search('frobnicate')).toEqual([]);
  });
});

describe('review23: hybrid search with a misbehaving embedder', () => {
  it('an embedder that throws leaves the lexical ranking (search does not fail)', async () => {
    const s = new ToolSearch({
      embed: async () => {
        throw new Error('embedding service down');
      },
    });
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail')] }]);
    const found = await s.search('send mail').catch((e: unknown) => e);
    expect(found).toBeInstanceOf(Array);
    expect((found as Array<{ name: string }>)[0]?.name).toBe('send_mail');
  });

  it('an embedder that never answers: the search answers lexically once embedTimeoutMs has passed', async () => {
    const s = new ToolSearch({ embed: () => new Promise<number[][]>(() => undefined), embedTimeoutMs: 50 });
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail'), tool('a', 'list_files', 'Lists files')] }]);
    const started = performance.now();
    const found = (await s.search('send mail')).map((t) => (t as { name: string }).name);
    expect(found[0]).toBe('send_mail');
    // Bounded by the timeout (a generous margin: it proves the search does not hang).
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('an embedder answering too few vectors, or vectors of another length, or NaN, does not throw and keeps lexical hits', async () => {
    for (const embed of [async () => [], async (texts: string[]) => texts.map(() => [1]), async (texts: string[]) => texts.map(() => [Number.NaN, 1, 2])]) {
      const s = new ToolSearch({ embed });
      s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail'), tool('a', 'list_files', 'Lists files')] }]);
      const found = (await s.search('send mail')).map((t) => (t as { name: string }).name);
      expect(found[0]).toBe('send_mail');
    }
  });

  it('concurrent hybrid searches during the first embedding both answer, each tool once', async () => {
    let calls = 0;
    const s = new ToolSearch({
      embed: async (texts) => {
        calls++;
        await new Promise((r) => setTimeout(r, 30));
        return texts.map((t) => [t.includes('mail') ? 1 : 0, 1]);
      },
    });
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail'), tool('a', 'list_files', 'Lists files')] }]);
    const [a, b] = await Promise.all([s.search('mail'), s.search('mail')]);
    for (const r of [a, b]) {
      const names = r.map((t) => (t as { name: string }).name);
      expect(new Set(names).size).toBe(names.length);
      expect(names[0]).toBe('send_mail');
    }
    expect(calls).toBeGreaterThan(0);
  });
});

describe('review23: search while servers connect', () => {
  it('a search before a slow server has connected answers the others (no wait, no throw); after it connects its tools are found', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = async () => {
      await gate;
      const mcp = new McpServer({ name: 'slow', version: '1' });
      mcp.registerTool('teleport_crate', { description: 'Teleports a crate' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
      const [c, s] = InMemoryTransport.createLinkedPair();
      await mcp.connect(s);
      return c;
    };
    const fast = async () => {
      const mcp = new McpServer({ name: 'fast', version: '1' });
      mcp.registerTool('ship_crate', { description: 'Ships a crate' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
      const [c, s] = InMemoryTransport.createLinkedPair();
      await mcp.connect(s);
      return c;
    };
    const sb: Switchboard = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } } as never, { transports: { slow, fast } });
    cleanups.push(() => sb.stop());
    const starting = sb.start().catch(() => undefined);
    await until(() => sb.getServer('fast')?.state === 'connected', 5_000, 'fast connected');
    const t0 = performance.now();
    const before = (await sb.searchTools('crate')).map((t) => t.qualifiedName);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(before).toEqual(['fast__ship_crate']);
    release();
    await starting;
    await until(() => sb.getServer('slow')?.state === 'connected', 5_000, 'slow connected');
    const after = (await sb.searchTools('crate')).map((t) => t.qualifiedName).sort();
    expect(after).toEqual(['fast__ship_crate', 'slow__teleport_crate']);
  });
});
