import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { runAnthropicToolUse, runOpenAIToolCall, toAnthropicTools, toOpenAITools } from '../../src/frameworks/index.js';
import type { Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { startMem, type Probe } from './upstream.js';

/**
 * What every adapter shares: which tools a model is offered (available ones, the caller's
 * filter) and how refusals reach the model (codes and retry hints as data, never an exception).
 * Time runs on XState's SimulatedClock.
 */

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

const toolUse = (name: string, input: unknown = {}) => ({ type: 'tool_use' as const, id: 'toolu_1', name, input });

describe('framework tools', () => {
  it('answers a timeout and then an open breaker as error results, and stops offering the refused tools', async () => {
    const clock = new SimulatedClock();
    let probe!: Probe;
    ({ sb, probe } = await startMem({
      clock,
      defaults: { timeouts: { callMs: 1_000 }, breaker: { minimumNumberOfCalls: 1, slidingWindowSize: 1, waitDurationInOpenMs: 7_000 } },
    }));
    expect(toOpenAITools(sb)).toHaveLength(9);
    const running = runAnthropicToolUse(sb, toolUse('mem__hang'));
    await until(() => probe.calls.length === 1, 5_000, 'the call to reach the server');
    clock.increment(1_000);
    expect(await running).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [{ type: 'text', text: 'ToolCallTimeout: tool "hang" on server "mem" did not answer within 1000 ms' }],
      is_error: true,
    });
    await until(() => sb!.listTools().every((tool) => tool.available === false), 5_000, 'the breaker to open');
    expect(toOpenAITools(sb)).toEqual([]);
    expect(toAnthropicTools(sb)).toEqual([]);
    expect(toOpenAITools(sb, { includeUnavailable: true })).toHaveLength(9);
    const refused = await runOpenAIToolCall(sb, { id: 'call_1', function: { name: 'mem__echo', arguments: '{"text":"x"}' } });
    expect(refused.content).toMatch(/^Error: CircuitOpen: .*mem.* \(retry after 7000 ms\)$/);
    expect(probe.calls).toHaveLength(1);
  });

  it('offers only what the filter keeps and refuses a call to anything else without calling the server', async () => {
    let probe!: Probe;
    ({ sb, probe } = await startMem());
    const filter = (tool: { name: string }) => tool.name === 'echo' || tool.name === 'stats';
    expect(toAnthropicTools(sb, { filter }).map((tool) => tool.name)).toEqual(['mem__echo', 'mem__stats']);
    expect(await runAnthropicToolUse(sb, toolUse('mem__fail'), { filter })).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [{ type: 'text', text: 'ToolNotFound: tool "mem__fail" is not offered' }],
      is_error: true,
    });
    expect(probe.calls).toEqual([]);
    expect((await runAnthropicToolUse(sb, toolUse('mem__echo', { text: 'kept' }), { filter })).content).toEqual([{ type: 'text', text: 'kept' }]);
    expect(probe.calls).toEqual([{ tool: 'echo', args: { text: 'kept' } }]);
  });
});
