import { afterEach, describe, expect, it } from 'vitest';
import {
  runOpenAIResponsesToolCall,
  runOpenAIToolCall,
  toOpenAIResponsesTools,
  toOpenAITools,
  PROVIDER_TOOL_NAME,
} from '../../src/frameworks/index.js';
import type { CallCompleted, Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { PNG, startMem } from './upstream.js';

/**
 * The OpenAI adapters against the shapes OpenAI's API reference documents: Chat Completions
 * function tools and `tool` messages, Responses API function tools and `function_call_output`
 * items. Every call goes through a real switchboard to an in-memory MCP server.
 */

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

const call = (name: string, args = '{}') => ({ id: 'call_1', type: 'function' as const, function: { name, arguments: args } });

describe('toOpenAITools', () => {
  it('lists every available tool as a Chat Completions function tool named by its qualified name', async () => {
    ({ sb } = await startMem());
    const tools = toOpenAITools(sb);
    expect(tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'mem__echo',
          description: 'Echoes its text',
          parameters: { type: 'object', properties: { text: { type: 'string', description: 'What to echo' } }, required: ['text'] },
        },
      },
      { type: 'function', function: { name: 'mem__picture', description: 'A caption and a PNG', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'mem__diagram', description: 'An SVG image', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'mem__report', description: 'Links, resources and audio', parameters: { type: 'object', properties: {} } } },
      // No description: the title stands in; the schema is passed on as the server wrote it.
      { type: 'function', function: { name: 'mem__stats', description: 'Statistics', parameters: { type: 'object', properties: {}, additionalProperties: false } } },
      { type: 'function', function: { name: 'mem__fail', description: 'Always fails', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'mem__silent', description: 'Answers with nothing', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'mem__hang', description: 'Runs until cancelled', parameters: { type: 'object', properties: {} } } },
      // A configured secret the server echoes in a description is masked.
      { type: 'function', function: { name: 'mem__leaky', description: 'Uses the token *** to call the API', parameters: { type: 'object', properties: {} } } },
    ]);
    for (const tool of tools) expect(tool.function.name).toMatch(PROVIDER_TOOL_NAME);
    expect(JSON.stringify(tools)).not.toContain('sk-live');
  });

  it('lists Responses API function tools with strict set to false', async () => {
    ({ sb } = await startMem());
    expect(toOpenAIResponsesTools(sb, { filter: (tool) => tool.name === 'echo' })).toEqual([
      {
        type: 'function',
        name: 'mem__echo',
        description: 'Echoes its text',
        parameters: { type: 'object', properties: { text: { type: 'string', description: 'What to echo' } }, required: ['text'] },
        strict: false,
      },
    ]);
  });
});

describe('runOpenAIToolCall', () => {
  it('runs a tool call through the switchboard and answers with its tool message', async () => {
    let probe;
    ({ sb, probe } = await startMem());
    const completed: CallCompleted[] = [];
    sb.on('call.completed', (event) => completed.push(event));
    const message = await runOpenAIToolCall(sb, call('mem__echo', '{"text":"hello"}'));
    expect(message).toEqual({ role: 'tool', tool_call_id: 'call_1', content: 'hello' });
    expect(probe.calls).toEqual([{ tool: 'echo', args: { text: 'hello' } }]);
    expect(completed).toMatchObject([{ server: 'mem', tool: 'echo', ok: true, source: 'openai' }]);
  });

  it('answers with text only: images and binary content as notes, structured content as JSON', async () => {
    ({ sb } = await startMem());
    const content = async (name: string) => (await runOpenAIToolCall(sb!, call(name))).content;
    expect(await content('mem__picture')).toBe(`a red dot\n<${Buffer.from(PNG, 'base64').length} bytes of image/png, not shown>`);
    expect(await content('mem__diagram')).toBe('<6 bytes of image/svg+xml, not shown>');
    expect(await content('mem__report')).toBe(
      [
        '<resource link "a.md": file:///notes/a.md>',
        '<resource file:///notes/b.md>\n# B',
        '<resource file:///notes/c.pdf: 8 bytes of application/pdf, not shown>',
        '<8 bytes of audio/wav, not shown>',
      ].join('\n'),
    );
    expect(await content('mem__stats')).toBe('{"count":3,"names":["a","b"]}');
    expect(await content('mem__silent')).toBe('(no output)');
  });

  it('answers a failed tool, an unknown tool and bad arguments with an error text instead of throwing', async () => {
    let probe;
    ({ sb, probe } = await startMem());
    expect(await runOpenAIToolCall(sb, call('mem__fail'))).toEqual({ role: 'tool', tool_call_id: 'call_1', content: 'Error: disk full' });
    expect(await runOpenAIToolCall(sb, call('mem__nope'))).toEqual({
      role: 'tool',
      tool_call_id: 'call_1',
      content: 'Error: ToolNotFound: server "mem" has no tool named "nope"',
    });
    const badJson = await runOpenAIToolCall(sb, call('mem__echo', '{"text": '));
    expect(badJson.content).toMatch(/^Error: InvalidArguments: the arguments are not valid JSON: /);
    expect((await runOpenAIToolCall(sb, call('mem__echo', '["x"]'))).content).toBe('Error: InvalidArguments: the arguments are not a JSON object');
    expect(probe.calls.map((c) => c.tool)).toEqual(['fail']);
  });

  it('cancels the upstream call and rejects with Cancelled when the caller aborts', async () => {
    let probe!: { cancelled: number; calls: unknown[] };
    ({ sb, probe } = await startMem());
    const controller = new AbortController();
    const running = runOpenAIToolCall(sb, call('mem__hang'), { signal: controller.signal });
    await until(() => probe.calls.length === 1, 5_000, 'the call to reach the server');
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'Cancelled' });
    await until(() => probe.cancelled === 1, 5_000, 'the server to see the cancellation');
  });
});

describe('runOpenAIResponsesToolCall', () => {
  const functionCall = (name: string, args = '{}') => ({ type: 'function_call' as const, call_id: 'fc_1', name, arguments: args });

  it('answers with a string output, or input_text and input_image parts when the result holds an image', async () => {
    ({ sb } = await startMem());
    expect(await runOpenAIResponsesToolCall(sb, functionCall('mem__echo', '{"text":"hi"}'))).toEqual({ type: 'function_call_output', call_id: 'fc_1', output: 'hi' });
    expect(await runOpenAIResponsesToolCall(sb, functionCall('mem__picture'))).toEqual({
      type: 'function_call_output',
      call_id: 'fc_1',
      output: [
        { type: 'input_text', text: 'a red dot' },
        { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'auto' },
      ],
    });
    // An SVG is no image type the API takes: a note in a plain string.
    expect(await runOpenAIResponsesToolCall(sb, functionCall('mem__diagram'))).toEqual({
      type: 'function_call_output',
      call_id: 'fc_1',
      output: '<6 bytes of image/svg+xml, not shown>',
    });
    expect(await runOpenAIResponsesToolCall(sb, functionCall('mem__fail'))).toEqual({ type: 'function_call_output', call_id: 'fc_1', output: 'Error: disk full' });
  });
});
