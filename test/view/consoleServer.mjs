// An MCP server over stdio for the console's browser tests: node consoleServer.mjs <name>
// Tools with a richer input schema than the demo's (enum, integer, boolean, array) and one that
// answers with an image, so "try it" can be tried on every kind of field and result.
import { crc32, deflateSync } from 'node:zlib';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const [name = 'console'] = process.argv.slice(2);
const COLORS = { red: [220, 40, 40], green: [30, 160, 70], blue: [30, 90, 220] };

/** A solid `size`×`size` PNG of one colour (RGB, no filter). */
function png(size, [r, g, b]) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const server = new McpServer({ name, version: '1.0.0' }, { capabilities: { tools: {} } });
server.registerTool(
  'pixel',
  {
    title: 'Colour swatch',
    description: 'A solid square of one colour, as a PNG image',
    inputSchema: { color: z.enum(['red', 'green', 'blue']), size: z.number().int().min(1).max(64).describe('Side in pixels') },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  async ({ color, size }) => ({ content: [{ type: 'image', data: png(size, COLORS[color]).toString('base64'), mimeType: 'image/png' }, { type: 'text', text: `${size}×${size} ${color}` }] }),
);
server.registerTool(
  'configure',
  {
    description: 'Echoes what it was given as structured content',
    inputSchema: {
      label: z.string().describe('A name for it'),
      retries: z.number().int().min(0).max(10),
      verbose: z.boolean().optional(),
      tags: z.array(z.string()).optional(),
      mode: z.enum(['fast', 'safe']).optional(),
    },
    annotations: { destructiveHint: false },
  },
  async (args) => ({ content: [{ type: 'text', text: `configured ${args.label}` }], structuredContent: { received: args } }),
);
server.registerTool('oops', { description: 'A tool that answers with isError' }, async () => ({ isError: true, content: [{ type: 'text', text: 'it went wrong' }] }));
process.stderr.write(`console fixture ${name} pid ${process.pid} up\n`);
await server.connect(new StdioServerTransport());
