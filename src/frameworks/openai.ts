import type { Switchboard } from '../switchboard/switchboard.js';
import { partsText, resultParts } from './content.js';
import {
  callForModel, described, failureText, modelTools, parseArguments,
  type CallOutcome, type FrameworkCallOptions, type FrameworkToolOptions, type ObjectSchema,
} from './tools.js';

/**
 * The switchboard's tools for OpenAI's APIs (DESIGN §18), as the API reference documents them:
 *
 * - Chat Completions (`POST /v1/chat/completions`): `tools: [{ type: 'function', function: { name,
 *   description, parameters, strict } }]`; the assistant's `tool_calls: [{ id, type: 'function',
 *   function: { name, arguments } }]` (arguments a JSON string) are answered with one `{ role:
 *   'tool', tool_call_id, content }` message each, whose content is text (a string, or text parts
 *   only). `strict` is left out (default false): strict mode wants every property required and
 *   `additionalProperties: false`, which MCP schemas rarely are.
 * - Responses (`POST /v1/responses`): `tools: [{ type: 'function', name, description, parameters,
 *   strict }]`, where `strict` defaults to true, so it is sent as false; a `function_call` output
 *   item `{ call_id, name, arguments }` is answered with a `{ type: 'function_call_output',
 *   call_id, output }` input item, whose output is a string or a list of `input_text` and
 *   `input_image` parts (an image as a base64 data URL).
 *
 * Neither API has an error flag on a tool's answer: a failed call's text starts with `Error: `.
 */

/** A function tool as Chat Completions takes it in `tools`. */
export interface OpenAIChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters: ObjectSchema };
}

/** One entry of an assistant message's `tool_calls`. */
export interface OpenAIChatToolCall {
  id: string;
  type?: 'function';
  function: { name: string; arguments: string };
}

/** The `tool` message that answers one tool call. */
export interface OpenAIToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** A function tool as the Responses API takes it in `tools`. */
export interface OpenAIResponsesTool {
  type: 'function';
  name: string;
  description?: string;
  parameters: ObjectSchema;
  strict: boolean;
}

/** A `function_call` item of a response's `output`. */
export interface OpenAIFunctionCall {
  type?: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  id?: string;
}

/** A part of a function call's output in the Responses API. */
export type OpenAIFunctionOutputPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url: string; detail: 'auto' };

/** The input item that answers one `function_call`. */
export interface OpenAIFunctionCallOutput {
  type: 'function_call_output';
  call_id: string;
  output: string | OpenAIFunctionOutputPart[];
}

/** The switchboard's tools as Chat Completions `tools` (available ones unless `includeUnavailable`). */
export function toOpenAITools(sb: Switchboard, options: FrameworkToolOptions = {}): OpenAIChatTool[] {
  return modelTools(sb, options).map((tool) => ({
    type: 'function',
    function: { name: tool.name, ...described(tool.description), parameters: tool.schema },
  }));
}

/** The switchboard's tools as Responses API `tools`, with `strict: false`. */
export function toOpenAIResponsesTools(sb: Switchboard, options: FrameworkToolOptions = {}): OpenAIResponsesTool[] {
  return modelTools(sb, options).map((tool) => ({
    type: 'function',
    name: tool.name,
    ...described(tool.description),
    parameters: tool.schema,
    strict: false,
  }));
}

/**
 * Runs one Chat Completions tool call through `sb.callTool` and returns the `tool` message that
 * answers it. A failed or refused call is an `Error: …` message, never a rejection; only the
 * caller aborting `signal` rejects (with `Cancelled`).
 */
export async function runOpenAIToolCall(
  sb: Switchboard,
  toolCall: OpenAIChatToolCall,
  options: FrameworkCallOptions = {},
): Promise<OpenAIToolMessage> {
  const { name, arguments: raw } = toolCall.function;
  const outcome = await callForModel(sb, name, parseArguments(raw), options, 'openai');
  return { role: 'tool', tool_call_id: toolCall.id, content: outcomeText(outcome) };
}

/**
 * Runs one Responses API `function_call` through `sb.callTool` and returns the
 * `function_call_output` item that answers it: a string, or `input_text`/`input_image` parts when
 * the result holds images. Failures as in `runOpenAIToolCall`.
 */
export async function runOpenAIResponsesToolCall(
  sb: Switchboard,
  call: OpenAIFunctionCall,
  options: FrameworkCallOptions = {},
): Promise<OpenAIFunctionCallOutput> {
  const outcome = await callForModel(sb, call.name, parseArguments(call.arguments), options, 'openai');
  const item: OpenAIFunctionCallOutput = {
    type: 'function_call_output',
    call_id: call.call_id,
    output: outcomeText(outcome),
  };
  if (outcome.ok && !outcome.result.isError) {
    const parts = resultParts(outcome.result, true);
    if (parts.some((part) => part.type === 'image')) {
      item.output = parts.map((part) =>
        part.type === 'text'
          ? { type: 'input_text', text: part.text }
          : { type: 'input_image', image_url: `data:${part.mimeType};base64,${part.data}`, detail: 'auto' },
      );
    }
  }
  return item;
}

/** An outcome as text: the result's text (images noted), `Error: ` before a failure. */
function outcomeText(outcome: CallOutcome): string {
  if (!outcome.ok) return `Error: ${failureText(outcome)}`;
  const text = partsText(resultParts(outcome.result, false));
  return outcome.result.isError ? `Error: ${text}` : text;
}
