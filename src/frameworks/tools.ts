import type { ToolInfo } from '../../machines/types.js';
import { isSwitchboardError, toErrorInfo } from '../core/errors.js';
import type { CallToolResult, Progress } from '../protocol/index.js';
import type { CallToolOptions } from '../switchboard/options.js';
import type { Switchboard } from '../switchboard/switchboard.js';

/**
 * What every framework adapter shares (DESIGN §18): which tools a model is offered, under which
 * name, with which description and schema, and how a model's call goes through `sb.callTool`
 * and comes back as data instead of an exception. The adapters only change the shapes.
 */

/**
 * A tool name every provider here takes: OpenAI's function names (Chat Completions and Responses)
 * and Anthropic's tool names are both documented as `^[a-zA-Z0-9_-]{1,64}$`. `qualifiedName` is
 * built to fit it (`src/routing/naming.ts`); a name that does not is left out rather than sent.
 */
export const PROVIDER_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Which tools a model is offered. */
export interface FrameworkToolOptions {
  /**
   * Offer tools whose server is not connected or whose breaker is open too. Defaults to false:
   * only tools with `available !== false`, so a model is not offered what would be refused.
   */
  includeUnavailable?: boolean | undefined;
  /** Keeps only the tools it returns true for. Defaults to every tool. */
  filter?: ((tool: ToolInfo) => boolean) | undefined;
}

/** How a model's tool call is run. */
export interface FrameworkCallOptions {
  /** The caller's signal: aborting it cancels the call (and rejects with `Cancelled`). Defaults to none. */
  signal?: AbortSignal | undefined;
  /** Deadline of the call, waiting included. Defaults to the server's `timeouts.callMs`. */
  timeoutMs?: number | undefined;
  /** Progress notifications of the call. Defaults to none. */
  onProgress?: ((progress: Progress) => void) | undefined;
  /**
   * The same filter the tools were listed with: a name it does not keep (or that no server lists)
   * is answered with a `ToolNotFound` error result and never called. Defaults to none: every name
   * goes to `sb.callTool`, which also waits for a connecting server's catalog.
   */
  filter?: ((tool: ToolInfo) => boolean) | undefined;
}

/** A tool's input JSON Schema as the providers take it: an object schema with `properties`. */
export interface ObjectSchema {
  type: 'object';
  properties: Record<string, unknown>;
  [keyword: string]: unknown;
}

/** A tool as every adapter describes it to a model. */
export interface ModelTool {
  name: string;
  description?: string;
  schema: ObjectSchema;
  info: ToolInfo;
}

/** The tools to offer a model, by qualified name, descriptions masked, schemas as providers take them. */
export function modelTools(sb: Switchboard, options: FrameworkToolOptions = {}): ModelTool[] {
  const tools: ModelTool[] = [];
  for (const info of sb.listTools()) {
    if (!options.includeUnavailable && info.available === false) continue;
    if (options.filter && !options.filter(info)) continue;
    if (!PROVIDER_TOOL_NAME.test(info.qualifiedName)) continue;
    const tool: ModelTool = { name: info.qualifiedName, schema: objectSchema(info.inputSchema), info };
    // A server writes its own descriptions; a configured secret it echoes never reaches a prompt.
    const description = info.description ?? info.title;
    if (description) tool.description = sb.redact(description);
    tools.push(tool);
  }
  return tools;
}

/** `{ description }` when there is one, else nothing (the specs leave the key out rather than send null). */
export function described(description: string | undefined): { description?: string } {
  return description === undefined ? {} : { description };
}

/**
 * An MCP input schema as the providers take it: `type: 'object'` and a `properties` map (an
 * object schema without one is refused by some OpenAI models). Anything else is left as it is.
 */
function objectSchema(schema: Record<string, unknown>): ObjectSchema {
  if (schema.type === 'object' && typeof schema.properties === 'object' && schema.properties !== null) return schema as ObjectSchema;
  const properties = typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {};
  return { ...schema, type: 'object', properties: properties as Record<string, unknown> };
}

/** What a call came back with: the server's result, or the error the switchboard answered with. */
export type CallOutcome =
  | { ok: true; result: CallToolResult }
  | { ok: false; code: string; message: string; retryAfterMs?: number };

/**
 * Runs one model tool call through `sb.callTool` with the caller's signal. Never rejects for a
 * failed call: a refusal or failure comes back as `{ ok: false }` with its code and masked
 * message. Only the caller's own abort rejects (with `Cancelled`): nobody is left to read a result.
 */
export async function callForModel(
  sb: Switchboard,
  name: string,
  args: Arguments,
  options: FrameworkCallOptions,
  source: string,
): Promise<CallOutcome> {
  if (!args.ok) return args;
  if (options.filter) {
    const tool = sb.listTools().find((t) => t.qualifiedName === name);
    if (!tool || !options.filter(tool)) return { ok: false, code: 'ToolNotFound', message: `tool "${name}" is not offered` };
  }
  const callOptions: CallToolOptions = { source };
  if (options.signal) callOptions.signal = options.signal;
  if (options.timeoutMs !== undefined) callOptions.timeoutMs = options.timeoutMs;
  if (options.onProgress) callOptions.onProgress = options.onProgress;
  try {
    return { ok: true, result: await sb.callTool(name, args.args, callOptions) };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return failure(sb, error);
  }
}

/** An error as a failed outcome: its code (`InternalError` when not ours), masked message, retry hint. */
function failure(sb: Switchboard, error: unknown): CallOutcome {
  const info = toErrorInfo(error);
  const code = isSwitchboardError(error) ? info.code : 'InternalError';
  const outcome: CallOutcome = { ok: false, code, message: sb.redact(info.message) };
  if (info.retryAfterMs !== undefined) outcome.retryAfterMs = info.retryAfterMs;
  return outcome;
}

/** A failed outcome as one line for a model: `Code: message (retry after N ms)`. */
export function failureText(outcome: Extract<CallOutcome, { ok: false }>): string {
  const retry = outcome.retryAfterMs === undefined ? '' : ` (retry after ${outcome.retryAfterMs} ms)`;
  return `${outcome.code}: ${outcome.message}${retry}`;
}

/** A model's arguments, or why they cannot be used (`InvalidArguments`, never sent to a server). */
export type Arguments = { ok: true; args: Record<string, unknown> } | { ok: false; code: string; message: string };

/** The arguments of a Chat Completions or Responses call: a JSON string of an object; empty is `{}`. */
export function parseArguments(raw: string): Arguments {
  if (typeof raw !== 'string') return objectArguments(raw);
  if (raw.trim() === '') return { ok: true, args: {} };
  try {
    return objectArguments(JSON.parse(raw));
  } catch (error) {
    return { ok: false, code: 'InvalidArguments', message: `the arguments are not valid JSON: ${(error as Error).message}` };
  }
}

/** Arguments given as a value (Anthropic's `input`, the AI SDK's): an object; none is `{}`. */
export function objectArguments(value: unknown): Arguments {
  if (value === undefined || value === null) return { ok: true, args: {} };
  if (typeof value === 'object' && !Array.isArray(value)) return { ok: true, args: value as Record<string, unknown> };
  return { ok: false, code: 'InvalidArguments', message: 'the arguments are not a JSON object' };
}
