// R3 probe: a raw stdio server that leaks its R3_TOKEN env value in every way it can.
// node leakServer.mjs <mode>
//   die-on-discover   prints "Error: token <T> was refused" on stderr, exits on server/discover (exit 1)
//   modern            2026-07-28 server; tool `leak` arguments.how:
//                       garbage   a non-JSON stdout line holding the token, then ok
//                       not-rpc   a JSON non-RPC line holding the token, then ok
//                       error     a JSON-RPC error whose message holds the token
//                       stderr    prints the token on stderr then exits (connection lost)
//                       log       notifications/message holding the token, then ok
//   garbage-on-discover / not-rpc-on-discover / huge-on-discover   answers the discover with a line holding the token
//   refuse-discover   answers server/discover with a JSON-RPC -32600 naming the token, initialize -32603 naming the token
const mode = process.argv[2];
const T = process.env.R3_TOKEN ?? 'none';
const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
process.stderr.write(`leak pid ${process.pid} up\n`);
const DISCOVER = { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: { tools: {}, logging: {} }, serverInfo: { name: 'leak', version: '1' }, ttlMs: 0, cacheScope: 'private' };
import { appendFileSync } from 'node:fs';
function handle({ id, method, params }) {
  if (process.env.R3_LOG) appendFileSync(process.env.R3_LOG, `${process.pid} ${method} ${id}\n`);
  if (id === undefined) return;
  if (method === 'server/discover') {
    if (mode === 'die-on-discover') {
      process.stderr.write(`Error: token ${T} was refused by upstream\n`);
      process.exit(1);
    }
    if (mode === 'garbage-on-discover') return process.stdout.write(`not json, token ${T}\n`);
    if (mode === 'not-rpc-on-discover') return process.stdout.write(`${JSON.stringify({ token: T, id })}\n`);
    if (mode === 'huge-on-discover') return process.stdout.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"token":"${T}","result":{"x":"${'h'.repeat(200000)}"}}\n`);
    if (mode === 'refuse-discover') return send({ jsonrpc: '2.0', id, error: { code: -32600, message: `bad session for token ${T}` } });
    return send({ jsonrpc: '2.0', id, result: DISCOVER });
  }
  if (method === 'initialize') {
    if (mode === 'refuse-discover') return send({ jsonrpc: '2.0', id, error: { code: -32603, message: `initialize refused for token ${T}` } });
    return send({ jsonrpc: '2.0', id, error: { code: -32022, message: `no legacy (token ${T})`, data: { supported: ['2026-07-28'] } } });
  }
  if (method === 'tools/list') return send({ jsonrpc: '2.0', id, result: { resultType: 'complete', tools: [{ name: 'leak', inputSchema: { type: 'object' } }], ttlMs: 0, cacheScope: 'private' } });
  if (method === 'tools/call') {
    const how = params?.arguments?.how;
    const ok = () => send({ jsonrpc: '2.0', id, result: { resultType: 'complete', content: [{ type: 'text', text: 'ok' }] } });
    if (how === 'garbage') { process.stdout.write(`garbage with ${T} inside\n`); return ok(); }
    if (how === 'not-rpc') { process.stdout.write(`${JSON.stringify({ leaked: T })}\n`); return ok(); }
    if (how === 'error') return send({ jsonrpc: '2.0', id, error: { code: -32000, message: `upstream refused token ${T}`, data: { token: T } } });
    if (how === 'stderr') { process.stderr.write(`fatal: token ${T} expired\n`); process.exit(2); }
    if (how === 'log') { send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'error', data: { msg: `token ${T}` } } }); return ok(); }
    return ok();
  }
  send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
}
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buffer += c;
  let n;
  while ((n = buffer.indexOf('\n')) !== -1) {
    const line = buffer.slice(0, n);
    buffer = buffer.slice(n + 1);
    try { handle(JSON.parse(line)); } catch { /* ignore */ }
  }
});
process.stdin.on('end', () => process.exit(0));
