import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CancelTaskResultSchema, CompleteResultSchema, EmptyResultSchema, GetPromptResultSchema, ReadResourceResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { CallMethod, SessionRequestOptions } from '../session.js';
import { NO_SDK_TIMEOUT } from './connect.js';
import { directRequest, usable } from './directRequest.js';
import { ToolResultSchema } from './resultShape.js';
import { withCallHeaders, withCallSignal } from './transports/fetchGuard.js';

/**
 * One call's request on a v1 (SDK 1.32.2) client: sent directly on the client's Protocol state
 * (directRequest.ts) with our own signal, a progress token in `_meta` when the call takes progress
 * (`onProgress`: src/calls/progressPolicy.ts decides) and no SDK timer at all (DESIGN §4,
 * research/sdk-notes.md §5–§6); the call's signal linked to its own HTTP request
 * (fetchGuard.ts); a tool that requires tasks runs as one through the SDK's `request` (its timeout
 * disabled).
 */

/** Result schemas of the requests other than tools/call (results pass through unchanged). */
const RESULT_SCHEMAS: Record<CallMethod, z.ZodType> = {
  'tools/call': ToolResultSchema,
  'resources/read': ReadResourceResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  'logging/setLevel': EmptyResultSchema,
  'resources/subscribe': EmptyResultSchema,
  'resources/unsubscribe': EmptyResultSchema,
};

type SdkOptions = { signal: AbortSignal; timeout: number; onprogress: SessionRequestOptions['onProgress'] };

/**
 * A tool whose `execution.taskSupport` is `required` runs as a task: the SDK's request stream
 * creates it, polls it and yields its result; to the caller it is one call like any other.
 * `requestStream` is experimental in SDK 1.32.2 and missing from `Client`'s typings there.
 */
async function requestAsTask(client: Client, request: { method: string; params: Record<string, unknown> }, schema: z.ZodType, options: SdkOptions): Promise<unknown> {
  type Message = { type: string; result?: unknown; error?: unknown; task?: { taskId?: string } };
  const stream = (client as unknown as { requestStream(r: unknown, s: z.ZodType, o: unknown): AsyncIterable<Message> }).requestStream(request, schema, { ...options, task: {} });
  let taskId: string | undefined;
  // The SDK only stops polling when the call is aborted; the task must be cancelled on the server.
  const cancel = () => {
    if (taskId === undefined) return;
    client.request({ method: 'tasks/cancel', params: { taskId } }, CancelTaskResultSchema, { timeout: NO_SDK_TIMEOUT }).catch(() => undefined);
  };
  options.signal.addEventListener('abort', cancel);
  try {
    for await (const message of stream) {
      if (message.type === 'taskCreated') taskId = message.task?.taskId;
      if (message.type === 'result') return message.result;
      if (message.type === 'error') throw message.error;
    }
    throw new Error('the task ended without a result');
  } finally {
    options.signal.removeEventListener('abort', cancel);
  }
}

/** Sends one call's request (hot path: directRequest.ts, no extra promise). */
export function sendCall(client: Client, method: CallMethod, params: Record<string, unknown>, options: SessionRequestOptions): Promise<unknown> {
  const schema = RESULT_SCHEMAS[method] ?? EmptyResultSchema;
  const send = options.task || !usable(client) ? () => sdkRequest(client, method, params, schema, options) : () => directRequest(client, method, params, options.meta, schema, options.signal, options.onProgress);
  if (options.headers === undefined) return withCallSignal(options.signal, send);
  return withCallHeaders(options.headers, () => withCallSignal(options.signal, send));
}

/** The SDK's own `request` (tasks, or an SDK without the members directRequest.ts uses). */
function sdkRequest(client: Client, method: CallMethod, params: Record<string, unknown>, schema: z.ZodType, options: SessionRequestOptions): Promise<unknown> {
  const sdk: SdkOptions = { signal: options.signal, timeout: NO_SDK_TIMEOUT, onprogress: options.onProgress };
  const request = { method, params: options.meta ? { ...params, _meta: options.meta } : params };
  return options.task ? requestAsTask(client, request, schema, sdk) : client.request(request as { method: 'tools/call'; params: { name: string } }, schema, sdk);
}
