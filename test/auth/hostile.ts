import type { IncomingMessage, ServerResponse } from 'node:http';

/** Hostile endpoints for the auth tests: answers that never end, and requests that are never answered. */

/** What a flood sent before the client went away or it reached its end. */
export interface Flood {
  /** Resolves with the bytes the client accepted, once the response is over. */
  readonly over: Promise<number>;
}

const CHUNK = Buffer.alloc(64 * 1024, 'not json at all; ');

/**
 * Answers 200 with up to `limit` bytes (64 MiB) of non-JSON, as fast as the client reads (it waits
 * for 'drain'), until the client goes away. `declared` sends a Content-Length instead of chunks.
 */
export function flood(req: IncomingMessage, res: ServerResponse, options: { limit?: number; declared?: number } = {}): Flood {
  const limit = options.limit ?? 64 * 1024 * 1024;
  req.resume();
  let sent = 0;
  const over = new Promise<number>((resolve) => {
    res.on('close', () => resolve(sent));
    res.writeHead(200, { 'Content-Type': 'application/json', ...(options.declared ? { 'Content-Length': String(options.declared) } : {}) });
    const pump = () => {
      while (!res.destroyed && sent < limit) {
        sent += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  return { over };
}

/** Takes the request and never answers it (or, with `trickle`, never finishes the answer). */
export function hang(req: IncomingMessage, res: ServerResponse, options: { trickle?: boolean } = {}): void {
  req.resume();
  if (options.trickle) {
    // Headers and a first byte of the body, then nothing: the answer is never complete.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{');
  }
}
