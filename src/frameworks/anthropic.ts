import type { Switchboard } from '../switchboard/switchboard.js';
import { NO_OUTPUT, resultParts, type ModelImageType } from './content.js';
import {
  callForModel, described, failureText, modelTools, objectArguments,
  type FrameworkCallOptions, type FrameworkToolOptions, type ObjectSchema,
} from './tools.js';

/**
 * The switchboard's tools for Anthropic's Messages API (DESIGN §18), as its reference documents
 * them: `tools: [{ name, description, input_schema }]`; the assistant's `{ type: 'tool_use', id,
 * name, input }` blocks are answered, in the next user message, with `{ type: 'tool_result',
 * tool_use_id, content, is_error }` blocks whose content is a list of text and image blocks
 * (`{ type: 'image', source: { type: 'base64', media_type, data } }`). The API refuses empty text
 * blocks and empty results, so neither is ever sent.
 */

/** A client tool as the Messages API takes it in `tools`. */
export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: ObjectSchema;
}

/** A `tool_use` block of an assistant message. */
export interface AnthropicToolUseBlock {
  type?: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

/** A block inside a `tool_result`. */
export type AnthropicToolResultContent =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: ModelImageType; data: string } };

/** The `tool_result` block that answers one `tool_use`. */
export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: AnthropicToolResultContent[];
  is_error: boolean;
}

/** The switchboard's tools as Messages API `tools` (available ones unless `includeUnavailable`). */
export function toAnthropicTools(sb: Switchboard, options: FrameworkToolOptions = {}): AnthropicTool[] {
  return modelTools(sb, options).map((tool) => ({
    name: tool.name,
    ...described(tool.description),
    input_schema: tool.schema,
  }));
}

/**
 * Runs one `tool_use` block through `sb.callTool` and returns the `tool_result` block that
 * answers it: `is_error: true` for a result with `isError` and for a refused or failed call
 * (never a rejection); only the caller aborting `signal` rejects (with `Cancelled`).
 */
export async function runAnthropicToolUse(
  sb: Switchboard,
  toolUse: AnthropicToolUseBlock,
  options: FrameworkCallOptions = {},
): Promise<AnthropicToolResultBlock> {
  const outcome = await callForModel(sb, toolUse.name, objectArguments(toolUse.input), options, 'anthropic');
  const answer = (content: AnthropicToolResultContent[], isError: boolean): AnthropicToolResultBlock =>
    ({ type: 'tool_result', tool_use_id: toolUse.id, content, is_error: isError });
  if (!outcome.ok) return answer([{ type: 'text', text: failureText(outcome) }], true);
  const content: AnthropicToolResultContent[] = [];
  for (const part of resultParts(outcome.result, true)) {
    if (part.type === 'image') {
      content.push({ type: 'image', source: { type: 'base64', media_type: part.mimeType, data: part.data } });
    } else if (part.text !== '') {
      content.push({ type: 'text', text: part.text });
    }
  }
  if (content.length === 0) content.push({ type: 'text', text: NO_OUTPUT });
  return answer(content, outcome.result.isError === true);
}
