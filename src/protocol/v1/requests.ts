import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { EmptyResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { sharedAborts } from '../../core/abortFanout.js';
import { NO_SDK_TIMEOUT } from './connect.js';
import { isServerAnswer } from './serverAnswers.js';

/**
 * A child signal of the attempt's signal for one SDK request: the SDK adds an abort listener to
 * every signal it is given and never removes it, so a long-lived signal would collect one per
 * ping (research/sdk-notes.md §6). `done` detaches the child once its request settled.
 */
export function requestSignal(parent: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, done: () => undefined };
  }
  // One listener on the parent for all its children: a burst of re-subscriptions or relistings
  // on one attempt put one each on it, past Node's warning threshold (abortFanout.ts).
  return { signal: controller.signal, done: sharedAborts.join(parent, () => controller.abort(parent.reason)) };
}

/**
 * Any JSON-RPC error answer (even −32601 for a server without ping, or a server's own −32000) proves
 * the server is alive; the SDK's own −32000 (closed) and −32001 (aborted) do not.
 */
function isAliveAnswer(error: unknown): boolean {
  if (isServerAnswer(error)) return true;
  return error instanceof McpError && error.code !== ErrorCode.ConnectionClosed && error.code !== ErrorCode.RequestTimeout;
}

/** One ping round trip: resolves on any answer (a JSON-RPC error counts), rejects with the transport's error. */
export async function pingServer(client: Client, signal: AbortSignal): Promise<void> {
  try {
    await client.request({ method: 'ping' }, EmptyResultSchema, { signal, timeout: NO_SDK_TIMEOUT });
  } catch (error) {
    if (!isAliveAnswer(error)) throw error;
  }
}
