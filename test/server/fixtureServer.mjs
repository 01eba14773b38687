// A raw newline-delimited JSON-RPC MCP server for the service tests (no SDK: it starts fast).
// node fixtureServer.mjs [gate=<file>|gate=never] [die=<stderr text>]
//   gate: answer initialize only once <file> exists (never: not at all)
//   die:  write the text to stderr and exit 1 before reading anything
// Tools: echo_args (returns its raw arguments as JSON text), flood {count, size} (sends count
// notifications/message of size characters first), mark {text} (writes text to stderr),
// structured (structuredContent and no text content).
// Every ping is written to stderr as "PING".
import { existsSync } from 'node:fs';

const options = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
if (options.die) {
  process.stderr.write(`${options.die}\n`);
  process.exit(1);
}
process.stderr.write(`fixture pid ${process.pid} up\n`);
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const text = (id, value) => send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: value }] } });

function whenOpen(then) {
  if (!options.gate) return then();
  if (options.gate === 'never') return undefined;
  const timer = setInterval(() => {
    if (existsSync(options.gate)) {
      clearInterval(timer);
      then();
    }
  }, 10);
  return undefined;
}

const tools = [
  { name: 'echo_args', description: 'Returns its arguments as received', inputSchema: { type: 'object' } },
  { name: 'flood', description: 'Sends many log notifications', inputSchema: { type: 'object', properties: { count: { type: 'number' }, size: { type: 'number' } } } },
  { name: 'mark', description: 'Writes a line to stderr', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'structured', description: 'Answers with structuredContent only', inputSchema: { type: 'object' } },
];

function handle(message) {
  const { id, method, params } = message;
  if (id === undefined) return;
  switch (method) {
    case 'initialize':
      return whenOpen(() =>
        send({ jsonrpc: '2.0', id, result: { protocolVersion: params.protocolVersion, capabilities: { tools: {}, logging: {} }, serverInfo: { name: 'fixture', version: '1' } } }),
      );
    case 'ping':
      process.stderr.write('PING\n');
      return send({ jsonrpc: '2.0', id, result: {} });
    case 'logging/setLevel':
      return send({ jsonrpc: '2.0', id, result: {} });
    case 'tools/list':
      return send({ jsonrpc: '2.0', id, result: { tools } });
    case 'tools/call':
      return call(id, params);
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
  }
}

function call(id, params) {
  const args = params.arguments ?? {};
  if (params.name === 'echo_args') return text(id, JSON.stringify(args));
  if (params.name === 'structured') return send({ jsonrpc: '2.0', id, result: { content: [], structuredContent: { answer: 42 } } });
  if (params.name === 'mark') {
    process.stderr.write(`${args.text}\n`);
    return text(id, 'marked');
  }
  if (params.name === 'flood') {
    const data = 'x'.repeat(args.size ?? 1000);
    for (let i = 0; i < (args.count ?? 1); i++) send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', logger: 'flood', data: `${i} ${data}` } });
    return text(id, 'flooded');
  }
  return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `unknown tool ${params.name}` } });
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (line.trim()) handle(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));
