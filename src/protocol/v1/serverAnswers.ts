import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * Tells a JSON-RPC error the server sent from one SDK 1.32.2 made up itself. Both arrive as an
 * `McpError` with a bare code: the SDK rejects every pending request with −32000 "Connection closed"
 * when its transport closes (`Protocol._onclose`) and with −32001 when a request is aborted or its
 * own timer fires, and a server may answer a request with either code for reasons of its own (a
 * tool's backend down, its own timeout). Only the SDK's own mean the session is gone or timed out;
 * a server's answer means it is alive and answered, whatever the code.
 *
 * Each error answer is marked as the SDK delivers it (the SDK builds the McpError from the message
 * and hands that very object to the request's response handler), so a server cannot pass for the
 * SDK however it words its error, and nothing the server sent is changed.
 */

const answered = new WeakSet<object>();

/** The SDK 1.32.2 private members used here (checked before use: elsewhere nothing is marked). */
interface ProtocolInternals {
  _onresponse(response: { id?: unknown; error?: unknown }): void;
  _responseHandlers: Map<number, (response: unknown) => void>;
}

/**
 * Marks every JSON-RPC error answer `client` receives from now on. Call before `connect()`, so a
 * refused `initialize` is marked too. On an SDK without these members nothing is marked, and every
 * −32000/−32001 is taken for the SDK's own (the behaviour before this marking).
 */
export function markServerAnswers(client: Client): void {
  const internals = client as unknown as Partial<ProtocolInternals>;
  const original = internals._onresponse;
  if (typeof original !== 'function' || !(internals._responseHandlers instanceof Map)) return;
  internals._onresponse = function (this: ProtocolInternals, response) {
    // The SDK keys its handlers by Number(id) and looks the handler up when the answer arrives (the
    // task side channel too), so wrapping the entry first sees the McpError it builds.
    if (response && typeof response === 'object' && 'error' in response) {
      const id = Number(response.id);
      const handler = this._responseHandlers.get(id);
      if (handler) {
        this._responseHandlers.set(id, (delivered) => {
          if (delivered instanceof McpError) answered.add(delivered);
          handler(delivered);
        });
      }
    }
    original.call(this, response);
  };
}

/** True for a JSON-RPC error the server sent (a `markServerAnswers` client received it). */
export function isServerAnswer(error: unknown): boolean {
  return error instanceof McpError && answered.has(error);
}
