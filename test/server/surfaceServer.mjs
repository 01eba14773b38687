// A stdio MCP server with resources, templates, prompts, completion and logging, for the admin
// API and CLI tests of the client surface. Built on the SDK's McpServer.
//   node surfaceServer.mjs <name>
// Every instance: resource fixture://shared, prompt greet {who} (so two instances make both
// ambiguous). The instance named "docs" also has fixture://readme (markdown), fixture://logo (a
// blob), the template item://{id} (with completion of id), the prompt wait {ms} (answers after ms;
// writes "wait cancelled" to stderr when the client cancels it) and the prompt greet's `who`
// completes from a fixed list. Tools of "docs": grow {n} registers fixture://grown-<n> and the
// prompt grown_<n> (the SDK then sends both list_changed notifications); touch sends
// notifications/resources/updated for every subscribed uri. Subscribes and unsubscribes are
// written to stderr ("subscribed <uri>", "unsubscribed <uri>").
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const name = process.argv[2] ?? 'docs';
const docs = name === 'docs';
const WHO = ['Ada', 'Alan', 'Grace'];
const IDS = ['apple', 'apricot', 'banana'];
// A PNG signature: eight bytes, enough to be a blob.
const LOGO = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');

const server = new McpServer({ name, version: '1.0.0' }, { capabilities: { resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, completions: {}, logging: {} } });

server.registerResource('shared', 'fixture://shared', { description: 'On every instance', mimeType: 'text/plain' }, async (uri) => ({
  contents: [{ uri: uri.href, mimeType: 'text/plain', text: `shared by ${name}` }],
}));

const who = docs ? completable(z.string(), (value) => WHO.filter((w) => w.toLowerCase().startsWith(value.toLowerCase()))) : z.string();
server.registerPrompt('greet', { title: 'Greeting', description: 'Greets someone', argsSchema: { who } }, async ({ who }) => ({
  description: `greeting from ${name}`,
  messages: [
    { role: 'user', content: { type: 'text', text: `Hello, ${who}!` } },
    { role: 'assistant', content: { type: 'text', text: `Hi from ${name}.` } },
  ],
}));

if (docs) {
  server.registerResource('readme', 'fixture://readme', { title: 'Read me', description: 'The read-me', mimeType: 'text/markdown' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/markdown', text: '# Fixture\nhello' }],
  }));
  server.registerResource('logo', 'fixture://logo', { description: 'A tiny blob', mimeType: 'image/png' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: LOGO }],
  }));
  const items = new ResourceTemplate('item://{id}', { list: undefined, complete: { id: (value) => IDS.filter((id) => id.startsWith(value)) } });
  server.registerResource('item', items, { description: 'One item by id', mimeType: 'application/json' }, async (uri, { id }) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id }) }],
  }));
  server.registerPrompt('wait', { description: 'Answers after ms milliseconds', argsSchema: { ms: z.string() } }, async ({ ms }, extra) => {
    process.stderr.write('wait started\n');
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, Number(ms));
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        process.stderr.write('wait cancelled\n');
        resolve(undefined);
      });
    });
    return { messages: [{ role: 'user', content: { type: 'text', text: `waited ${ms}` } }] };
  });

  server.registerTool('grow', { inputSchema: { n: z.number() } }, async ({ n }) => {
    server.registerResource(`grown-${n}`, `fixture://grown-${n}`, { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: `grown ${n}` }] }));
    server.registerPrompt(`grown_${n}`, { description: `grown ${n}` }, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: `grown ${n}` } }] }));
    return { content: [{ type: 'text', text: `grew ${n}` }] };
  });
  server.registerTool('touch', {}, async () => {
    for (const uri of subscribed) await server.server.sendResourceUpdated({ uri });
    return { content: [{ type: 'text', text: `touched ${subscribed.size}` }] };
  });
}

const subscribed = new Set();
server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  subscribed.add(request.params.uri);
  process.stderr.write(`subscribed ${request.params.uri}\n`);
  return {};
});
server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  subscribed.delete(request.params.uri);
  process.stderr.write(`unsubscribed ${request.params.uri}\n`);
  return {};
});

process.stderr.write(`${name} pid ${process.pid} up\n`);
await server.connect(new StdioServerTransport());
