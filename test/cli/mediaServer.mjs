// A raw newline-delimited JSON-RPC MCP server for the CLI tests (no SDK: it starts fast).
// Tools: media (a text block, a 55-byte PNG, 1 000 bytes of audio, an embedded blob resource and an
// embedded text resource), echo (returns its `text` argument).
const PNG = Buffer.alloc(55, 7).toString('base64');
const AUDIO = Buffer.alloc(1000, 3).toString('base64');
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const tools = [
  { name: 'media', description: 'Answers with every kind of content', inputSchema: { type: 'object' } },
  { name: 'echo', description: 'Returns its text', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
];
const media = [
  { type: 'text', text: 'here is a picture' },
  { type: 'image', data: PNG, mimeType: 'image/png' },
  { type: 'audio', data: AUDIO, mimeType: 'audio/wav' },
  { type: 'resource', resource: { uri: 'file:///blob.bin', mimeType: 'application/zip', blob: Buffer.alloc(12).toString('base64') } },
  { type: 'resource', resource: { uri: 'file:///note.txt', mimeType: 'text/plain', text: 'embedded text' } },
];

function handle({ id, method, params }) {
  if (id === undefined) return;
  if (method === 'initialize') {
    return send({ jsonrpc: '2.0', id, result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'media', version: '1' } } });
  }
  if (method === 'ping') return send({ jsonrpc: '2.0', id, result: {} });
  if (method === 'tools/list') return send({ jsonrpc: '2.0', id, result: { tools } });
  if (method === 'tools/call' && params.name === 'media') return send({ jsonrpc: '2.0', id, result: { content: media } });
  if (method === 'tools/call' && params.name === 'echo') return send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: String(params.arguments?.text) }] } });
  return send({ jsonrpc: '2.0', id, error: { code: -32601, message: `not here: ${method}` } });
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let newline; (newline = buffer.indexOf('\n')) >= 0; ) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (line.trim()) handle(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));
