// A raw newline-delimited JSON-RPC MCP server for the issue-21 review: hostile names and texts,
// rich input schemas, a call that hangs, huge and odd results, prompts and resources.
// node hostileServer.mjs [stderr=<text written at start>]
const options = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
process.stderr.write(`hostile pid ${process.pid} up\n`);
if (options.stderr) process.stderr.write(`${options.stderr}\n`);
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const result = (id, value) => send({ jsonrpc: '2.0', id, result: value });
const text = (id, value) => result(id, { content: [{ type: 'text', text: value }] });
const HTML = '<img src=x onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script>';

const tools = [
  { name: 'echo_args', description: `Echoes ${HTML}`, inputSchema: { type: 'object' } },
  { name: 'we"ird/na me <script>ü', description: HTML, inputSchema: { type: 'object', properties: {} } },
  { name: 'hang', description: 'Never answers', inputSchema: { type: 'object' } },
  { name: 'big', description: 'MBs of text', inputSchema: { type: 'object', properties: { mb: { type: 'number' } } } },
  { name: 'images', description: 'bad and odd images', inputSchema: { type: 'object' } },
  { name: 'mark', description: 'Writes a line to stderr', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'log', description: 'Sends log lines', inputSchema: { type: 'object', properties: { count: { type: 'integer' }, text: { type: 'string' } } } },
  {
    name: 'rich',
    description: 'A rich schema',
    inputSchema: {
      type: 'object',
      $defs: { point: { type: 'object', properties: { x: { type: 'number' } } } },
      properties: {
        where: { $ref: '#/$defs/point' },
        choice: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        maybe: { type: ['string', 'null'] },
        level: { type: 'integer', enum: [1, 2, 3], default: 2 },
        name: { type: 'string', default: 'bob' },
        big: { type: 'integer' },
        ['__proto__']: { type: 'string', description: 'a property named __proto__' },
        constructor: { type: 'string' },
      },
      required: ['level'],
    },
  },
  { name: 'req', description: 'required fields', inputSchema: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' }, c: { type: 'string' } }, required: ['c'] } },
];

function handle(message) {
  const { id, method, params } = message;
  if (id === undefined) return;
  switch (method) {
    case 'initialize':
      return result(id, { protocolVersion: params.protocolVersion, capabilities: { tools: {}, logging: {}, prompts: {}, resources: {} }, serverInfo: { name: `hostile ${HTML}`, version: '1' } });
    case 'ping':
    case 'logging/setLevel':
      return result(id, {});
    case 'tools/list':
      return result(id, { tools });
    case 'prompts/list':
      return result(id, { prompts: [{ name: 'greet', description: HTML, arguments: [{ name: 'who', required: true }] }] });
    case 'prompts/get':
      return result(id, { description: HTML, messages: [{ role: 'user', content: { type: 'text', text: `hello ${params.arguments?.who} ${HTML}` } }] });
    case 'resources/list':
      return result(id, { resources: [{ uri: 'mem://a"b<c>', name: HTML }] });
    case 'resources/templates/list':
      return result(id, { resourceTemplates: [] });
    case 'resources/read':
      return result(id, { contents: [{ uri: params.uri, mimeType: 'text/html', text: HTML }] });
    case 'tools/call':
      return call(id, params);
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
  }
}

function call(id, params) {
  const args = params.arguments ?? {};
  switch (params.name) {
    case 'echo_args':
    case 'rich':
    case 'req':
      return text(id, JSON.stringify(args));
    case 'we"ird/na me <script>ü':
      return text(id, `weird ok ${HTML}`);
    case 'hang':
      return undefined;
    case 'big':
      return text(id, 'y'.repeat(Math.round((args.mb ?? 4) * 1024 * 1024)));
    case 'images':
      return result(id, {
        content: [
          { type: 'image', data: 'not base64 at all!!', mimeType: 'image/png' },
          { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'text/html' },
          { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
          { type: 'text', text: HTML },
        ],
        structuredContent: { html: HTML },
      });
    case 'mark':
      process.stderr.write(`${args.text}\n`);
      return text(id, 'marked');
    case 'log':
      for (let i = 0; i < (args.count ?? 1); i++) send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'error', logger: 'hostile', data: `${i} ${args.text ?? HTML}` } });
      return text(id, 'logged');
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `unknown tool ${params.name}` } });
  }
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
