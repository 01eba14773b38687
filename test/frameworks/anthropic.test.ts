import { afterEach, describe, expect, it } from 'vitest';
import { runAnthropicToolUse, toAnthropicTools } from '../../src/frameworks/index.js';
import type { CallCompleted, Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { PNG, SECRET, startMem } from './upstream.js';

/**
 * The Anthropic adapter against the shapes the Messages API documents: client tools `{ name,
 * description, input_schema }`, and `tool_result` blocks answering `tool_use` blocks, with text
 * and base64 image blocks and `is_error`. Calls go through a real switchboard to an in-memory
 * MCP server.
 */

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

const toolUse = (name: string, input: unknown = {}) => ({ type: 'tool_use' as const, id: 'toolu_1', name, input });

describe('toAnthropicTools', () => {
  it('lists available tools as Messages API tools with input_schema', async () => {
    ({ sb } = await startMem());
    const tools = toAnthropicTools(sb);
    expect(tools.map((tool) => tool.name)).toEqual([
      'mem__echo', 'mem__picture', 'mem__diagram', 'mem__report', 'mem__stats', 'mem__fail', 'mem__silent', 'mem__hang', 'mem__leaky',
    ]);
    expect(tools[0]).toEqual({
      name: 'mem__echo',
      description: 'Echoes its text',
      input_schema: { type: 'object', properties: { text: { type: 'string', description: 'What to echo' } }, required: ['text'] },
    });
    expect(tools[1]).toEqual({ name: 'mem__picture', description: 'A caption and a PNG', input_schema: { type: 'object', properties: {} } });
    expect(tools[8]).toEqual({ name: 'mem__leaky', description: 'Uses the token *** to call the API', input_schema: { type: 'object', properties: {} } });
  });
});

describe('runAnthropicToolUse', () => {
  it('runs a tool_use through the switchboard and answers with a tool_result block', async () => {
    let probe;
    ({ sb, probe } = await startMem());
    const completed: CallCompleted[] = [];
    sb.on('call.completed', (event) => completed.push(event));
    expect(await runAnthropicToolUse(sb, toolUse('mem__echo', { text: 'hello' }))).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [{ type: 'text', text: 'hello' }],
      is_error: false,
    });
    expect(probe.calls).toEqual([{ tool: 'echo', args: { text: 'hello' } }]);
    expect(completed).toMatchObject([{ server: 'mem', tool: 'echo', ok: true, source: 'anthropic' }]);
  });

  it('sends images as base64 image blocks and notes what the API cannot take', async () => {
    ({ sb } = await startMem());
    const content = async (name: string) => (await runAnthropicToolUse(sb!, toolUse(name))).content;
    expect(await content('mem__picture')).toEqual([
      { type: 'text', text: 'a red dot' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
    ]);
    expect(await content('mem__diagram')).toEqual([{ type: 'text', text: '<6 bytes of image/svg+xml, not shown>' }]);
    expect(await content('mem__report')).toEqual([
      { type: 'text', text: '<resource link "a.md": file:///notes/a.md>' },
      { type: 'text', text: '<resource file:///notes/b.md>\n# B' },
      { type: 'text', text: '<resource file:///notes/c.pdf: 8 bytes of application/pdf, not shown>' },
      { type: 'text', text: '<8 bytes of audio/wav, not shown>' },
    ]);
    expect(await content('mem__stats')).toEqual([{ type: 'text', text: '{"count":3,"names":["a","b"]}' }]);
    // The API refuses an empty tool_result.
    expect(await content('mem__silent')).toEqual([{ type: 'text', text: '(no output)' }]);
  });

  it('marks a failed tool and a refused call with is_error, masking secrets in the message', async () => {
    let probe;
    ({ sb, probe } = await startMem());
    expect(await runAnthropicToolUse(sb, toolUse('mem__fail'))).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [{ type: 'text', text: 'disk full' }],
      is_error: true,
    });
    const unknown = await runAnthropicToolUse(sb, toolUse(`mem__${SECRET}`));
    expect(unknown).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [{ type: 'text', text: 'ToolNotFound: server "mem" has no tool named "***"' }],
      is_error: true,
    });
    expect(await runAnthropicToolUse(sb, toolUse('mem__echo', 'text'))).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [{ type: 'text', text: 'InvalidArguments: the arguments are not a JSON object' }],
      is_error: true,
    });
    expect(probe.calls.map((c) => c.tool)).toEqual(['fail']);
  });

  it('passes the caller signal: aborting cancels the upstream call', async () => {
    let probe!: { cancelled: number; calls: unknown[] };
    ({ sb, probe } = await startMem());
    const controller = new AbortController();
    const running = runAnthropicToolUse(sb, toolUse('mem__hang'), { signal: controller.signal });
    await until(() => probe.calls.length === 1, 5_000, 'the call to reach the server');
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'Cancelled' });
    await until(() => probe.cancelled === 1, 5_000, 'the server to see the cancellation');
  });
});
