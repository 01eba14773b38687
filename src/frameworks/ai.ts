import * as ai from 'ai';
import { ERROR_META_KEY } from '../core/errors.js';
import type { CallToolResult } from '../protocol/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { partsText, resultParts } from './content.js';
import { callForModel, described, failureText, modelTools, objectArguments, type FrameworkToolOptions } from './tools.js';

/**
 * The switchboard's tools for the Vercel AI SDK (`ai` 6 and 7, DESIGN §18), in a module of its
 * own: `ai` is an optional peer dependency, and `mcp-switchboard/frameworks` loads without it.
 *
 * Each tool is the SDK's `dynamicTool` (the kind it documents for tools known only at run time,
 * as MCP tools are) with `inputSchema: jsonSchema(<the MCP input schema>)`. `execute` calls
 * through `sb.callTool` with the SDK's `abortSignal` and returns the MCP result itself (so
 * `toolResults` carry it); a refused or failed call returns an `isError` result instead of
 * throwing. `toModelOutput` gives the model `text`, `content` (text and image parts) or, for
 * `isError`, `error-text`, which the providers send as their own error results.
 */


/** Options of `toAISDKTools`. */
export interface AISDKToolOptions extends FrameworkToolOptions {
  /** Deadline of each call, waiting included. Defaults to the server's `timeouts.callMs`. */
  timeoutMs?: number | undefined;
}

/** An image part of a tool result's content, in the installed SDK's own shape. */
type ImageOutput =
  | { type: 'image-data'; data: string; mediaType: string }
  | { type: 'file'; mediaType: string; data: { type: 'data'; data: string } };

/** The AI SDK's shape of what a model reads from a tool result. */
type ModelOutput =
  | { type: 'text'; value: string }
  | { type: 'error-text'; value: string }
  | { type: 'content'; value: ({ type: 'text'; text: string } | ImageOutput)[] };

/** What `toModelOutput` returns, as the installed SDK types it. */
type SdkModelOutput = Awaited<ReturnType<NonNullable<Parameters<typeof ai.dynamicTool>[0]['toModelOutput']>>>;

/**
 * AI SDK 7 takes an image as `{ type: 'file', mediaType, data: { type: 'data', data } }` and warns
 * that `image-data` is deprecated; AI SDK 6 knows only `image-data`. 7 is told apart by
 * `isStepCount`, the name its migration guide gives `stepCountIs`.
 */
const FILE_PARTS = 'isStepCount' in ai;

function imageOutput(data: string, mediaType: string): ImageOutput {
  return FILE_PARTS ? { type: 'file', mediaType, data: { type: 'data', data } } : { type: 'image-data', data, mediaType };
}

/**
 * The switchboard's tools as an AI SDK `ToolSet` keyed by qualified name (available ones unless
 * `includeUnavailable`), for `generateText({ tools })`, `streamText` and agents.
 */
export function toAISDKTools(sb: Switchboard, options: AISDKToolOptions = {}): ai.ToolSet {
  const tools: ai.ToolSet = {};
  for (const spec of modelTools(sb, options)) {
    tools[spec.name] = ai.dynamicTool({
      ...described(spec.description),
      inputSchema: ai.jsonSchema(spec.schema),
      execute: async (input, { abortSignal }) => {
        const callOptions = { signal: abortSignal, timeoutMs: options.timeoutMs };
        const outcome = await callForModel(sb, spec.name, objectArguments(input), callOptions, 'ai-sdk');
        if (outcome.ok) return outcome.result;
        const detail: { code: string; retryAfterMs?: number } = { code: outcome.code };
        if (outcome.retryAfterMs !== undefined) detail.retryAfterMs = outcome.retryAfterMs;
        const failed: CallToolResult = {
          isError: true,
          content: [{ type: 'text', text: failureText(outcome) }],
          _meta: { [ERROR_META_KEY]: detail },
        };
        return failed;
      },
      // The installed SDK's types know only one of the two image shapes (see FILE_PARTS).
      toModelOutput: ({ output }) => modelOutput(output as CallToolResult) as SdkModelOutput,
    });
  }
  return tools;
}

/** An MCP result as what the model reads: text when it is only text, parts with images, error-text for `isError`. */
function modelOutput(result: CallToolResult): ModelOutput {
  if (result.isError) return { type: 'error-text', value: partsText(resultParts(result, false)) };
  const parts = resultParts(result, true);
  if (!parts.some((part) => part.type === 'image')) return { type: 'text', value: partsText(parts) };
  const value: Extract<ModelOutput, { type: 'content' }>['value'] = [];
  for (const part of parts) {
    if (part.type === 'image') value.push(imageOutput(part.data, part.mimeType));
    else if (part.text !== '') value.push({ type: 'text', text: part.text });
  }
  return { type: 'content', value };
}
