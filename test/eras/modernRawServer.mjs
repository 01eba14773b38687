// R3 probe: a raw (SDK-free) newline-delimited JSON-RPC server of the 2026-07-28 era only.
// node modernRawServer.mjs [--log <file>] ; refuses initialize with -32022 naming 2026-07-28.
// tools/call `do` arguments.mode:
//   ok | echo              a normal answer
//   endless                bytes without a newline, for ever
//   stall                  arguments.bytes without a newline, then nothing
//   endless-response       start of a result without an id, for ever
//   huge                   one complete answer of arguments.bytes (a single line)
//   garbage                a line that is not JSON, then a normal answer
//   not-rpc                a JSON line that is no JSON-RPC, then a normal answer
//   flood-log              arguments.count notifications/message of arguments.size, then the answer
//   flood-progress         arguments.count notifications/progress (its progressToken), then the answer
//   log-forever            notifications/message for ever (never answers)
//   hang                   never answers
//   crash                  exits mid-call
//   big-notification       one notifications/message line of arguments.bytes, then the answer
// With arguments.marker, a mode other than ok runs only while that file does not exist.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const logFile = args.includes('--log') ? args[args.indexOf('--log') + 1] : undefined;
const note = (what) => logFile && appendFileSync(logFile, `${process.pid} ${what}\n`);
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
process.stderr.write(`modern raw pid ${process.pid} up\n`);
note('spawn');
// R3_BANNER=start: a stdout line before anything (a server that logs to stdout); =discover: right before its discover answer
if (process.env.R3_BANNER === 'start') process.stdout.write('Modern raw server starting...\n');

function flood(chunk) {
  const write = () => {
    while (process.stdout.write(chunk));
    process.stdout.once('drain', write);
  };
  write();
}

const DISCOVER = {
  resultType: 'complete',
  supportedVersions: ['2026-07-28'],
  capabilities: { tools: {}, logging: {} },
  serverInfo: { name: 'modern-raw', version: '1' },
  _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'modern-raw', version: '1' } },
  ttlMs: 0,
  cacheScope: 'private',
};
const result = (id, value) => send({ jsonrpc: '2.0', id, result: { resultType: 'complete', ...value } });
const ok = (id, text = `ok from ${process.pid}`) => result(id, { content: [{ type: 'text', text }] });

async function call(id, params) {
  const a = params.arguments ?? {};
  let mode = a.mode ?? 'ok';
  if (a.marker && mode !== 'ok') {
    if (existsSync(a.marker)) mode = 'ok';
    else writeFileSync(a.marker, 'misbehaved');
  }
  const token = params._meta?.progressToken;
  switch (mode) {
    case 'endless':
      return flood('x'.repeat(64 * 1024));
    case 'stall':
      return process.stdout.write('y'.repeat(a.bytes));
    case 'endless-response':
      process.stdout.write('{"result":{"content":[{"type":"text","text":"');
      return flood('z'.repeat(64 * 1024));
    case 'huge':
      return ok(id, 'h'.repeat(a.bytes));
    case 'garbage':
      process.stdout.write('this is not JSON at all\n');
      return ok(id);
    case 'not-rpc':
      process.stdout.write('{"hello":"world"}\n');
      return ok(id);
    case 'flood-log': {
      const filler = 'x'.repeat(a.size ?? 10);
      for (let i = 0; i < a.count; i++) {
        if (!process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `${i} ${filler}` } })}\n`)) {
          await new Promise((r) => process.stdout.once('drain', r));
        }
      }
      return ok(id, `sent ${a.count}`);
    }
    case 'flood-progress':
      for (let i = 0; i < a.count; i++) {
        if (!process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token ?? 'none', progress: i + 1, total: a.count } })}\n`)) {
          await new Promise((r) => process.stdout.once('drain', r));
        }
      }
      return ok(id, `sent ${a.count}`);
    case 'log-forever': {
      const line = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(200) } })}\n`;
      return flood(line.repeat(100));
    }
    case 'hang':
      return;
    case 'crash':
      return process.exit(7);
    case 'big-notification':
      process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'n'.repeat(a.bytes) } })}\n`);
      return ok(id);
    default:
      return ok(id, a.text ?? `ok from ${process.pid}`);
  }
}

function handle(message) {
  const { id, method, params } = message;
  if (method) note(method);
  if (id === undefined) return;
  if (method === 'server/discover') {
    if (process.env.R3_BANNER === 'discover') process.stdout.write('[info] discover received\n');
    return result(id, DISCOVER);
  }
  if (method === 'initialize') return send({ jsonrpc: '2.0', id, error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'], requested: params?.protocolVersion } } });
  if (method === 'tools/list') return result(id, { tools: [{ name: 'do', inputSchema: { type: 'object' } }, { name: 'read', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }], ttlMs: 0, cacheScope: 'private' });
  if (method === 'tools/call') return void call(id, params ?? {});
  return send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) !== -1) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (!line.trim()) continue;
    try {
      handle(JSON.parse(line));
    } catch {
      // ignore
    }
  }
});
process.stdin.on('end', () => process.exit(0));
