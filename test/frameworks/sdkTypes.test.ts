import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  runAnthropicToolUse,
  runOpenAIResponsesToolCall,
  runOpenAIToolCall,
  toAnthropicTools,
  toOpenAIResponsesTools,
  toOpenAITools,
} from '../../src/frameworks/index.js';
import type { Switchboard } from '../../src/index.js';
import { startMem } from './upstream.js';

/**
 * The adapters' values against the official SDKs' request types, which are generated from each
 * API's reference (`openai` 6, `@anthropic-ai/sdk` 1; type imports only, nothing of theirs runs):
 * what the SDKs hand a caller goes in as it is, and what comes out goes into a request as it is.
 * The type checker (`npm run typecheck`) holds these; the run checks the same values arrived.
 */

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

describe('framework tools and the official SDK types', () => {
  it('builds OpenAI Chat Completions and Responses requests from the SDK’s own tool calls', async () => {
    ({ sb } = await startMem());
    const toolCall: OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall = {
      id: 'call_1',
      type: 'function',
      function: { name: 'mem__echo', arguments: '{"text":"hi"}' },
    };
    const toolMessage: OpenAI.Chat.Completions.ChatCompletionToolMessageParam = await runOpenAIToolCall(sb, toolCall);
    const chat: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'say hi' }, { role: 'assistant', tool_calls: [toolCall] }, toolMessage],
      tools: toOpenAITools(sb),
    };
    expect(chat.tools).toHaveLength(9);
    expect(toolMessage.content).toBe('hi');

    const functionCall: OpenAI.Responses.ResponseFunctionToolCall = { type: 'function_call', call_id: 'fc_1', name: 'mem__picture', arguments: '{}' };
    const output: OpenAI.Responses.ResponseInputItem.FunctionCallOutput = await runOpenAIResponsesToolCall(sb, functionCall);
    const responses: OpenAI.Responses.ResponseCreateParamsNonStreaming = {
      model: 'gpt-test',
      input: [functionCall, output],
      tools: toOpenAIResponsesTools(sb),
    };
    expect(responses.tools).toHaveLength(9);
    expect(Array.isArray(output.output) && output.output.map((part) => part.type)).toEqual(['input_text', 'input_image']);
  });

  it('builds an Anthropic Messages request from the SDK’s own tool_use block', async () => {
    ({ sb } = await startMem());
    const toolUse: Anthropic.Messages.ToolUseBlock = { type: 'tool_use', id: 'toolu_1', name: 'mem__picture', input: {}, caller: { type: 'direct' } };
    const result: Anthropic.Messages.ToolResultBlockParam = await runAnthropicToolUse(sb, toolUse);
    const request: Anthropic.Messages.MessageCreateParamsNonStreaming = {
      model: 'claude-test',
      max_tokens: 100,
      tools: toAnthropicTools(sb),
      messages: [
        { role: 'user', content: 'draw' },
        { role: 'assistant', content: [toolUse] },
        { role: 'user', content: [result] },
      ],
    };
    expect(request.tools).toHaveLength(9);
    expect(Array.isArray(result.content) && result.content.map((block) => block.type)).toEqual(['text', 'image']);
  });
});
