import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * A child signal of the attempt's signal for one SDK request: the SDK adds an abort listener to
 * every signal it is given and never removes it, so a long-lived signal would collect one per
 * ping (research/sdk-notes.md §6).
 */
export function requestSignal(parent: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, done: () => parent.removeEventListener('abort', onAbort) };
}

/** Any JSON-RPC error answer (even −32601 for a server without ping) proves the server is alive. */
export function isAliveAnswer(error: unknown): boolean {
  return error instanceof McpError && error.code !== ErrorCode.ConnectionClosed && error.code !== ErrorCode.RequestTimeout;
}
