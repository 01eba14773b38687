import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Progress } from '../types.js';

/**
 * A call's request on an SDK 1.32.2 client without `Protocol.request`, which does per request what
 * the switchboard already does once per call or not at all: a `setTimeout` and its bookkeeping for
 * a timeout we disable (our deadlines are in src/calls), six closures, the request object spread
 * three times to add `_meta.progressToken`, a Map entry for a timer that never fires. Measured on
 * the stdio hot path with 64 calls in flight (bench/PROFILE.md): about a third of what a
 * switchboard call spent beyond the floor's client, and the largest share of what survived a
 * scavenge. Here a request is one promise, one response handler and one message built once, with
 * the progress token in it from the start.
 *
 * It speaks to the same Protocol state as `request` does, so everything else stays the SDK's: the
 * message id comes from the same counter, the response arrives through `_onresponse` (which
 * deletes both handlers, turns an error answer into an `McpError`, and is wrapped by
 * serverAnswers.ts), progress through `_onprogress` by the same token (the message id), and a
 * closing transport rejects it with the SDK's own −32000 (`_onclose`). An abort sends
 * `notifications/cancelled` and rejects with the abort's reason, as `request` does.
 *
 * `usable(client)` says whether this SDK still has the members it needs; when not (another SDK
 * version), calls go through `client.request` as before.
 */

interface ProtocolInternals {
  _transport?: Transport;
  _requestMessageId: number;
  _responseHandlers: Map<number, (response: { result?: unknown } | Error) => void>;
  _progressHandlers: Map<number, (progress: Progress) => void>;
  _onerror(error: Error): void;
}

/** The abort side of a call's signal (src/calls/signal.ts `CallSignal`, or any AbortSignal). */
interface SignalLike {
  aborted: boolean;
  reason: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

const checked = new WeakMap<object, boolean>();

/** Whether `client` has the Protocol members a direct request uses (checked once per client). */
export function usable(client: Client): boolean {
  let ok = checked.get(client);
  if (ok === undefined) {
    const p = client as unknown as Partial<ProtocolInternals>;
    ok =
      typeof p._requestMessageId === 'number' &&
      p._responseHandlers instanceof Map &&
      p._progressHandlers instanceof Map &&
      typeof p._onerror === 'function' &&
      typeof (client as unknown as { _onresponse?: unknown })._onresponse === 'function' &&
      typeof (client as unknown as { _onprogress?: unknown })._onprogress === 'function';
    checked.set(client, ok);
  }
  return ok;
}

/**
 * Sends `method` with `params` and `_meta` (`meta`, else `params._meta`; with `onProgress`, its
 * `progressToken` replaced by the request's own; without, no token)
 * and resolves with the result parsed by `schema`; rejects as `Protocol.request` would. The
 * transport's `send` is called synchronously (fetchGuard.ts relies on it).
 */
export function directRequest(
  client: Client,
  method: string,
  params: Record<string, unknown>,
  meta: Record<string, unknown> | undefined,
  schema: z.ZodType,
  signal: SignalLike,
  onProgress: ((progress: Progress) => void) | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const p = client as unknown as ProtocolInternals;
    const transport = p._transport;
    if (!transport) {
      reject(new Error('Not connected'));
      return;
    }
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const id = p._requestMessageId++;
    // `meta` (a tool call's) or the params' own `_meta` (the other requests carry it there).
    const own = meta ?? (params._meta as Record<string, unknown> | undefined);
    const message = { method, params: onProgress === undefined ? (meta === undefined ? params : { ...params, _meta: meta }) : { ...params, _meta: own === undefined ? { progressToken: id } : { ...own, progressToken: id } }, jsonrpc: '2.0' as const, id };
    const onAbort = () => {
      p._responseHandlers.delete(id);
      p._progressHandlers.delete(id);
      const reason = signal.reason;
      p._transport?.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: String(reason) } }).catch((error: unknown) => p._onerror(new Error(`Failed to send cancellation: ${String(error)}`)));
      reject(reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason)));
    };
    p._responseHandlers.set(id, (response) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return;
      if (response instanceof Error) {
        reject(response);
        return;
      }
      const parsed = schema.safeParse(response.result);
      if (parsed.success) resolve(parsed.data);
      else reject(parsed.error);
    });
    if (onProgress !== undefined) p._progressHandlers.set(id, onProgress);
    signal.addEventListener('abort', onAbort);
    transport.send(message).catch((error: unknown) => {
      p._responseHandlers.delete(id);
      p._progressHandlers.delete(id);
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}
