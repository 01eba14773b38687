import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { ERAS, type AnyServer, type EraRow } from '../helpers/eras.js';
import { until } from '../helpers/switchboard.js';

/**
 * Prompts, completion and logging through the switchboard (DESIGN §10), against SDK McpServers in
 * memory: prompts routed like tools (bare, qualified, `{ server }`, AmbiguousPrompt,
 * PromptNotFound), `complete` for prompt and resource-template references, `setLogLevel` on one
 * server and on all, and `server.log` events from `notifications/message`. Runs once per era
 * (test/helpers/eras.ts): the same servers on the v1 SDK (2025-11-25) and on the v2 SDK
 * (2026-07-28, legacy clients refused).
 */

const NAMES = ['alice', 'alex', 'bob'];

/** What `greet` answers: arguments echoed, `_meta` on the result and on a message. */
const greeting = (name: string, tone: string | undefined): GetPromptResult => ({
  description: 'A greeting',
  messages: [
    { role: 'user', content: { type: 'text', text: `Hello ${name}${tone ? ` (${tone})` : ''}` } },
    { role: 'assistant', content: { type: 'text', text: 'Hi!', _meta: { n: 1 } } },
  ],
  _meta: { servedBy: 'writer' },
});

interface Probe {
  /** Levels set per server, from `logging/setLevel`. */
  levels: Record<string, string[]>;
  servers: Record<string, AnyServer>;
}

/** A server with prompts `greet` (completable) and `shared`, an `item://{id}` template with completion, and logging. */
function writer(era: EraRow, probe: Probe): AnyServer {
  const server = new era.McpServer({ name: 'writer', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerPrompt(
    'greet',
    {
      title: 'Greet',
      description: 'Greets someone',
      argsSchema: { name: era.completable(z.string().describe('Who'), (value) => NAMES.filter((n) => n.startsWith(value))), tone: z.string().optional() },
    },
    ({ name, tone }: { name: string; tone?: string }) => greeting(name, tone),
  );
  server.registerPrompt('shared', { description: 'on writer' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'writer' } }] }));
  server.registerResource(
    'item',
    new era.ResourceTemplate('item://{id}', {
      list: undefined,
      // Completes from the context too: proves `context` reaches the server.
      complete: { id: (value: string, context?: { arguments?: Record<string, string> }) => ['1', '10', '100', `${context?.arguments?.prefix ?? ''}7`].filter((id) => id.startsWith(value)) },
    }),
    {},
    async (uri: URL) => ({ contents: [{ uri: uri.href, text: 'item' }] }),
  );
  era.logs.tool(server);
  return withLevels(era, server, 'writer', probe);
}

/** A second server with prompts `shared` and `review`, and logging. */
function editor(era: EraRow, probe: Probe): AnyServer {
  const server = new era.McpServer({ name: 'editor', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerPrompt('shared', { description: 'on editor' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'editor' } }] }));
  server.registerPrompt('review', { description: 'Reviews' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'review' } }] }));
  era.logs.tool(server);
  return withLevels(era, server, 'editor', probe);
}

/** A server with a tool only: no prompts, no logging. */
function plain(era: EraRow): AnyServer {
  const server = new era.McpServer({ name: 'plain', version: '1.0.0' });
  server.registerTool('noop', {}, async () => ({ content: [] }));
  return server;
}

/** Records every `logging/setLevel` the server sees. */
function withLevels(era: EraRow, server: AnyServer, name: string, probe: Probe): AnyServer {
  era.handle(server.server, 'logging/setLevel', async (request) => {
    (probe.levels[name] ??= []).push(request.params.level);
    return {};
  });
  probe.servers[name] = server;
  return server;
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

async function setup(era: EraRow) {
  const probe: Probe = { levels: {}, servers: {} };
  const sb = createSwitchboard(era.config({ servers: {}, defaults: { health: { intervalMs: 0 } } }), {
    transports: { writer: era.linked(() => writer(era, probe)), editor: era.linked(() => editor(era, probe)), plain: era.linked(() => plain(era)) },
  });
  boards.push(sb);
  await sb.start();
  for (const name of ['writer', 'editor', 'plain']) expect(sb.getServer(name)!.state).toBe('connected');
  return { sb, probe };
}

describe.each(ERAS)('prompts, completion and logging ($era)', (era) => {
  describe('prompts', () => {
    it('lists prompts of every server with qualifiedName, arguments and available', async () => {
      const { sb } = await setup(era);
      expect(sb.listPrompts('writer')).toEqual([
        {
          name: 'greet',
          server: 'writer',
          qualifiedName: 'writer__greet',
          title: 'Greet',
          description: 'Greets someone',
          arguments: [
            { name: 'name', description: 'Who', required: true },
            { name: 'tone', required: false },
          ],
          available: true,
        },
        { name: 'shared', server: 'writer', qualifiedName: 'writer__shared', description: 'on writer', available: true },
      ]);
      expect(sb.listPrompts().map((p) => p.qualifiedName).sort()).toEqual(['editor__review', 'editor__shared', 'writer__greet', 'writer__shared']);
      expect(sb.listPrompts('plain')).toEqual([]);
    });

    it('gets a prompt by bare, qualified and server__ name and with { server }, arguments passed and the result unchanged', async () => {
      const { sb } = await setup(era);
      expect(era.wireless(await sb.getPrompt('greet', { name: 'Ada' }))).toEqual(greeting('Ada', undefined));
      expect(era.wireless(await sb.getPrompt('writer__greet', { name: 'Bo', tone: 'warm' }))).toEqual(greeting('Bo', 'warm'));
      expect(era.wireless(await sb.getPrompt('greet', { name: 'Cy' }, { server: 'writer' }))).toEqual(greeting('Cy', undefined));
      expect((await sb.getPrompt('shared', {}, { server: 'editor' })).messages).toEqual([{ role: 'user', content: { type: 'text', text: 'editor' } }]);
      expect((await sb.getPrompt('editor__shared')).messages[0]!.content).toEqual({ type: 'text', text: 'editor' });
      expect((await sb.getPrompt('review')).messages[0]!.content).toEqual({ type: 'text', text: 'review' });
    });

    it('refuses a prompt on two servers with AmbiguousPrompt naming both, and an unknown one with PromptNotFound', async () => {
      const { sb } = await setup(era);
      const ambiguous = await sb.getPrompt('shared').catch((e: unknown) => e);
      expect(ambiguous).toMatchObject({ code: 'AmbiguousPrompt' });
      expect([...(ambiguous as { servers: string[] }).servers].sort()).toEqual(['editor', 'writer']);
      expect((ambiguous as Error).message).toMatch(/"writer".*"editor"|"editor".*"writer"/);
      await expect(sb.getPrompt('nope')).rejects.toMatchObject({ code: 'PromptNotFound' });
      await expect(sb.getPrompt('review', {}, { server: 'writer' })).rejects.toMatchObject({ code: 'PromptNotFound' });
      await expect(sb.getPrompt('greet', {}, { server: 'missing' })).rejects.toMatchObject({ code: 'ServerNotFound' });
    });

    it('answers a prompt whose required argument is missing with InvalidArguments', async () => {
      const { sb } = await setup(era);
      await expect(sb.getPrompt('greet', {})).rejects.toMatchObject({ code: 'InvalidArguments' });
    });
  });

  describe('completion', () => {
    it('completes a prompt argument by bare, qualified and { server } reference', async () => {
      const { sb } = await setup(era);
      const bare = await sb.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'al' } });
      expect(era.wireless(bare)).toEqual({ completion: { values: ['alice', 'alex'], total: 2, hasMore: false } });
      const qualified = await sb.complete({ ref: { type: 'ref/prompt', name: 'writer__greet' }, argument: { name: 'name', value: 'b' } });
      expect(qualified.completion.values).toEqual(['bob']);
      const onServer = await sb.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'a' } }, { server: 'writer' });
      expect(onServer.completion.values).toEqual(['alice', 'alex']);
    });

    it('completes a resource template argument, routed by the template and with { server }, context passed', async () => {
      const { sb } = await setup(era);
      const routed = await sb.complete({ ref: { type: 'ref/resource', uri: 'item://{id}' }, argument: { name: 'id', value: '1' } });
      expect(routed.completion.values).toEqual(['1', '10', '100']);
      const withContext = await sb.complete({ ref: { type: 'ref/resource', uri: 'item://{id}' }, argument: { name: 'id', value: '9' }, context: { arguments: { prefix: '9' } } }, { server: 'writer' });
      expect(withContext.completion.values).toEqual(['97']);
    });
  });

  describe('logging', () => {
    it('sets the level on one server only', async () => {
      const { sb, probe } = await setup(era);
      const set = sb.setLogLevel('warning', { server: 'writer' });
      if (era.logs.setLevel) {
        await set;
        expect(probe.levels).toEqual({ writer: ['warning'] });
      } else {
        await expect(set).rejects.toMatchObject({ code: 'NotSupported' });
        expect(probe.levels).toEqual({});
      }
      expect(sb.getServer('writer')!.state).toBe('connected');
    });

    it('sets the level on every server that declares logging, skipping the others', async () => {
      const { sb, probe } = await setup(era);
      await sb.setLogLevel('debug');
      expect(probe.levels).toEqual(era.logs.setLevel ? { writer: ['debug'], editor: ['debug'] } : {});
    });

    // Legacy only: a 2026-07-28 server has no channel for a log outside a request.
    it.runIf(era.logs.setLevel)('still turns notifications/message into server.log events', async () => {
      const { sb, probe } = await setup(era);
      const logs: { server: string; level: string; message: string }[] = [];
      sb.on('server.log', (e) => logs.push({ server: e.server, level: e.level, message: e.message }));
      await sb.setLogLevel('info');
      await probe.servers.writer!.sendLoggingMessage({ level: 'error', logger: 'db', data: 'disk full' });
      await probe.servers.editor!.sendLoggingMessage({ level: 'info', data: { n: 1 } });
      await until(() => logs.length >= 2, 5_000, 'two server.log events');
      // Two transports: the order between servers is not defined.
      expect(logs).toHaveLength(2);
      expect(logs).toContainEqual({ server: 'writer', level: 'error', message: 'db: disk full' });
      expect(logs).toContainEqual({ server: 'editor', level: 'info', message: '{"n":1}' });
    });

    it('turns a log a server sends during a call, asked for as the era asks, into a server.log event', async () => {
      const { sb } = await setup(era);
      const logs: { server: string; level: string; message: string }[] = [];
      sb.on('server.log', (e) => logs.push({ server: e.server, level: e.level, message: e.message }));
      // Legacy: the level is set on the servers beforehand; modern: each request asks in its `_meta`.
      if (era.logs.setLevel) await sb.setLogLevel('info');
      const asked = era.logs.ask('info');
      await sb.callTool('log', { level: 'error', logger: 'db', data: 'disk full' }, { server: 'writer', ...asked });
      await sb.callTool('log', { level: 'info', data: { n: 1 } }, { server: 'editor', ...asked });
      await until(() => logs.length >= 2, 5_000, 'two server.log events');
      expect(logs).toHaveLength(2);
      expect(logs).toContainEqual({ server: 'writer', level: 'error', message: 'db: disk full' });
      expect(logs).toContainEqual({ server: 'editor', level: 'info', message: '{"n":1}' });
    });
  });
});
