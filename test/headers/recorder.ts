import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it arrived at the upstream: its JSON-RPC method(s) and its headers (names lowercased). */
export interface Recorded {
  httpMethod: string;
  /** `tools/call`, `initialize`, …; the HTTP method for a GET/DELETE. */
  rpc: string;
  /** The tool name of a tools/call. */
  tool?: string | undefined;
  headers: IncomingHttpHeaders;
}

export interface Recorder {
  /** The proxied MCP endpoint (same path as the target's). */
  url: string;
  seen: Recorded[];
  close(): Promise<void>;
}

/**
 * A recording HTTP proxy on 127.0.0.1:0 in front of a real MCP server: records every request's
 * headers and JSON-RPC method, then forwards it unchanged and streams the answer back (SSE too).
 * A tools/call carrying `x-echo-error` is answered with a JSON-RPC error quoting that header's value (a
 * server that quotes a header in its error), without reaching the server.
 */
export async function startRecorder(target: string): Promise<Recorder> {
  const upstream = new URL(target);
  const seen: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let rpc = req.method ?? '';
      let tool: string | undefined;
      let id: unknown = null;
      if (body.length > 0) {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as { method?: string; params?: { name?: string } };
          if (parsed.method) rpc = parsed.method;
          id = (parsed as { id?: unknown }).id ?? null;
          tool = parsed.method === 'tools/call' ? parsed.params?.name : undefined;
        } catch {
          // not JSON: keep the HTTP method
        }
      }
      seen.push({ httpMethod: req.method ?? '', rpc, tool, headers: req.headers });
      const echo = req.headers['x-echo-error'];
      if (typeof echo === 'string' && rpc === 'tools/call') {
        const error = { jsonrpc: '2.0', id, error: { code: -32603, message: `bad caller header: ${echo}` } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(error));
        return;
      }
      const headers = { ...req.headers, host: upstream.host };
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      res.on('close', () => out.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
