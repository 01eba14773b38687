import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * The resource server's pass-through (servers.ts `upstream`): the bearer guard stays the same
 * while the MCP server behind it is of either era.
 */

/** Sends an authorized request on to `upstream` without its token, and its answer (a stream too) back. */
export async function forward(upstream: string, req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !['host', 'authorization', 'content-length', 'connection'].includes(name)) headers.set(name, value);
  }
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const answer = await fetch(upstream, { method: 'POST', headers, body: text, signal: abort.signal });
  const back: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) back[name] = value;
  });
  res.writeHead(answer.status, back);
  if (!answer.body) return void res.end();
  await pipeline(Readable.fromWeb(answer.body as never), res).catch(() => undefined);
}

