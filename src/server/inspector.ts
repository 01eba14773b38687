import type { AddressInfo } from 'node:net';
import { createInspector } from '@statelyai/inspect';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Live inspection for the Stately inspector (DESIGN §6): a small WebSocket relay bound to
 * 127.0.0.1 (the bundled `@statelyai/inspect` server listens on every interface and opens a
 * browser), plus the runtime-side inspector that feeds it sanitized context and events.
 * New viewers get the recent history replayed, so they see every actor's definition.
 */

const SECRET_KEY = /^(headers|env|token|authorization|password|secret|apikey|api_key|cookie)$/i;
const HISTORY = 2_000;

/** Removes values under secret-looking keys, deeply, from plain JSON. */
export function sanitizeContext<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sanitizeContext(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? '***' : sanitizeContext(item);
  return out as T;
}

/** Events carry ids, never arguments; still strip anything secret-looking. */
export function sanitizeEvent<T>(event: T): T {
  return sanitizeContext(event);
}

export interface InspectorRelay {
  url: string;
  /** Pass to `createSwitchboard(config, { inspect })`. */
  inspect: ReturnType<typeof createInspector>['inspect'];
  close(): Promise<void>;
}

/** JSON that survives cycles and functions (inspection events may reach actor internals). */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'function') return undefined;
    if (item !== null && typeof item === 'object') {
      if (seen.has(item)) return '[circular]';
      seen.add(item);
    }
    return item;
  });
}

/**
 * Starts the relay on 127.0.0.1 (port 0 = any free port) and the runtime-side inspector. The
 * runtime feeds the relay in process (no WebSocket of its own: `@statelyai/inspect`'s WebSocket
 * adapter retries a failed socket every 5 s forever, which would keep a stopping process alive).
 */
export async function startInspector(port = 0): Promise<InspectorRelay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', () => resolve());
    wss.once('error', reject);
  });
  const history: string[] = [];
  const broadcast = (text: string, from?: WebSocket) => {
    history.push(text);
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    for (const client of wss.clients) if (client !== from && client.readyState === client.OPEN) client.send(text);
  };
  wss.on('connection', (socket: WebSocket) => {
    for (const message of history) socket.send(message);
    socket.on('message', (data) => broadcast(data.toString(), socket));
  });
  const inspector = createInspector({ send: (event: unknown) => broadcast(safeJson(event)) }, { sanitizeContext, sanitizeEvent });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    inspect: inspector.inspect,
    close: async () => {
      inspector.stop();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
