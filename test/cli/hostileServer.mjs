// A stdio MCP server (the SDK's low-level Server) whose every string carries terminal control
// sequences, for the CLI's terminal tests:
//   node hostileServer.mjs [serve | refuse | crash]
// serve (default): one tool, resource, resource template and prompt, and their results; the tool
// `fail` answers a JSON-RPC error. refuse: answers initialize with an error. crash: writes to
// stderr and exits. HOSTILE (exported for the test) is what every string contains.
import { pathToFileURL } from 'node:url';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  InitializeRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** ESC sequences (clear screen, OSC 52 clipboard write, title), CR overwrite, C1 CSI, DEL, a bidi override. */
export const HOSTILE = '\x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\rOVERWRITE\u009b31m\u0085\x7f\u202eright\u2066';

const mode = process.argv[2] ?? 'serve';
// Imported by the test for HOSTILE only; run as a process, it serves.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();

async function run() {
  if (mode === 'crash') {
    process.stderr.write(`dying ${HOSTILE}\n`);
    process.exit(3);
  }
  const server = new Server({ name: `hostile${HOSTILE}`, version: `1${HOSTILE}` }, { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: `read me${HOSTILE}` });
  if (mode === 'refuse') {
    server.setRequestHandler(InitializeRequestSchema, () => {
      throw new McpError(ErrorCode.InternalError, `refused${HOSTILE}`);
    });
  }
  const uri = `evil://r${HOSTILE}`;
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      { name: `tool${HOSTILE}`, title: `title${HOSTILE}`, description: `desc${HOSTILE}\nsecond line${HOSTILE}`, inputSchema: { type: 'object' } },
      { name: 'fail', description: 'answers an error', inputSchema: { type: 'object' } },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    if (request.params.name === 'fail') throw new McpError(ErrorCode.InternalError, `failed${HOSTILE}`);
    return { content: [{ type: 'text', text: `result${HOSTILE}\nline two\r\n` }, { type: 'resource_link', uri, name: `link${HOSTILE}` }] };
  });
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [{ uri, name: `res${HOSTILE}`, mimeType: `text/plain${HOSTILE}` }] }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [{ uriTemplate: `evil://t/{id}${HOSTILE}`, name: `tmpl${HOSTILE}`, mimeType: `text/x${HOSTILE}` }] }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => ({
    contents: [
      { uri: request.params.uri, mimeType: 'text/plain', text: `content${HOSTILE}` },
      { uri: request.params.uri, mimeType: `application/x${HOSTILE}`, blob: Buffer.from('bytes').toString('base64') },
    ],
  }));
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [{ name: `prompt${HOSTILE}`, description: `pdesc${HOSTILE}`, arguments: [{ name: `arg${HOSTILE}` }] }] }));
  server.setRequestHandler(GetPromptRequestSchema, () => ({
    messages: [
      { role: 'user', content: { type: 'text', text: `message${HOSTILE}` } },
      { role: 'assistant', content: { type: 'resource_link', uri, name: 'link' } },
    ],
  }));
  await server.connect(new StdioServerTransport());
}
