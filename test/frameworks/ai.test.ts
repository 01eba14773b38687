import { generateText, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, describe, expect, it } from 'vitest';
import { toAISDKTools } from '../../src/frameworks/ai.js';
import type { CallCompleted, Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { PNG, startMem, type Probe } from './upstream.js';

/**
 * The Vercel AI SDK adapter in a real `generateText` loop: the SDK's mock model (`ai/test`)
 * answers the first step with a tool call, the SDK runs the tool, which calls through the
 * switchboard to an in-memory MCP server, and the second step's prompt shows what went back.
 */

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

/** One step's answer of the mock model (the SDK's `LanguageModelV3GenerateResult`). */
type Step = Extract<NonNullable<NonNullable<ConstructorParameters<typeof MockLanguageModelV3>[0]>['doGenerate']>, unknown[]>[number];

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** A model that calls `toolName` with `input` once, then answers "done". */
function callingModel(toolName: string, input: unknown): MockLanguageModelV3 {
  const steps: Step[] = [
    {
      content: [{ type: 'tool-call', toolCallId: 'call-1', toolName, input: JSON.stringify(input) }],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage,
      warnings: [],
    },
    { content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
  ];
  return new MockLanguageModelV3({ doGenerate: steps });
}

/** The output of the tool result the model was sent in its second step. */
function toolOutputSent(model: MockLanguageModelV3): unknown {
  const prompt = model.doGenerateCalls[1]!.prompt;
  const message = prompt.find((m) => m.role === 'tool');
  const part = message?.role === 'tool' ? message.content[0] : undefined;
  return part?.type === 'tool-result' ? part.output : undefined;
}

describe('toAISDKTools', () => {
  it('runs a model tool call through the switchboard in generateText and sends the result back', async () => {
    let probe!: Probe;
    ({ sb, probe } = await startMem());
    const completed: CallCompleted[] = [];
    sb.on('call.completed', (event) => completed.push(event));
    const model = callingModel('mem__echo', { text: 'hello' });
    const result = await generateText({ model, tools: toAISDKTools(sb), prompt: 'say hello', stopWhen: stepCountIs(3) });

    expect(result.text).toBe('done');
    expect(probe.calls).toEqual([{ tool: 'echo', args: { text: 'hello' } }]);
    expect(completed).toMatchObject([{ server: 'mem', tool: 'echo', ok: true, source: 'ai-sdk' }]);
    // The model was offered the tool by its qualified name, with the MCP schema as its input schema.
    expect(model.doGenerateCalls[0]!.tools?.find((tool) => tool.name === 'mem__echo')).toEqual({
      type: 'function',
      name: 'mem__echo',
      description: 'Echoes its text',
      inputSchema: { type: 'object', properties: { text: { type: 'string', description: 'What to echo' } }, required: ['text'] },
    });
    expect(toolOutputSent(model)).toEqual({ type: 'text', value: 'hello' });
    // The step's tool result is the MCP result itself.
    expect(result.steps[0]!.toolResults[0]!.output).toEqual({ content: [{ type: 'text', text: 'hello' }] });
  });

  it('sends an image as image-data content and a failed tool as error-text', async () => {
    ({ sb } = await startMem());
    const picture = callingModel('mem__picture', {});
    await generateText({ model: picture, tools: toAISDKTools(sb), prompt: 'draw', stopWhen: stepCountIs(3) });
    expect(toolOutputSent(picture)).toEqual({
      type: 'content',
      value: [
        { type: 'text', text: 'a red dot' },
        { type: 'image-data', data: PNG, mediaType: 'image/png' },
      ],
    });
    const failing = callingModel('mem__fail', {});
    const result = await generateText({ model: failing, tools: toAISDKTools(sb), prompt: 'fail', stopWhen: stepCountIs(3) });
    expect(toolOutputSent(failing)).toEqual({ type: 'error-text', value: 'disk full' });
    expect(result.text).toBe('done');
  });

  it('answers a refused call with an isError result carrying its code instead of failing the generation', async () => {
    ({ sb } = await startMem());
    const tools = toAISDKTools(sb);
    await sb.stop();
    const model = callingModel('mem__echo', { text: 'late' });
    const result = await generateText({ model, tools, prompt: 'too late', stopWhen: stepCountIs(3) });
    expect(toolOutputSent(model)).toEqual({ type: 'error-text', value: 'Stopped: the switchboard is stopped' });
    expect(result.steps[0]!.toolResults[0]!.output).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'Stopped: the switchboard is stopped' }],
      _meta: { 'mcp-switchboard/error': { code: 'Stopped' } },
    });
  });

  it('passes the generation abort signal to the call, which the server sees cancelled', async () => {
    let probe!: Probe;
    ({ sb, probe } = await startMem());
    const controller = new AbortController();
    const model = callingModel('mem__hang', {});
    const running = generateText({ model, tools: toAISDKTools(sb), prompt: 'wait', stopWhen: stepCountIs(3), abortSignal: controller.signal });
    await until(() => probe.calls.length === 1, 5_000, 'the call to reach the server');
    controller.abort();
    await expect(running).rejects.toThrow();
    await until(() => probe.cancelled === 1, 5_000, 'the server to see the cancellation');
  });
});
