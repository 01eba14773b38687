// A stdio MCP server that starts slowly, as a first `npx -y` does while it downloads its package:
// node slowStartServer.mjs <name> <delayMs> [marker]
// For <delayMs> it reads nothing and answers nothing (its stdin waits in the pipe), then it serves
// the demo tools (echo, add, whoami, only_<name>, …) of test/fixtures/demoTools.mjs. A delay of
// "never" never answers. The marker is only there for the tests to find the process.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { buildServer } from '../fixtures/demoTools.mjs';

const [name = 'slow', delay = '2500'] = process.argv.slice(2);
process.stderr.write(`slow fixture ${name} pid ${process.pid} starting (${delay} ms)\n`);
// Stopped while it "downloads": the switchboard signals its process group (SIGTERM ends it).
if (delay === 'never') setInterval(() => undefined, 60_000);
else await new Promise((resolve) => setTimeout(resolve, Number(delay)));
if (delay === 'never') await new Promise(() => undefined);
process.stderr.write(`slow fixture ${name} ready\n`);
await buildServer(name).connect(new StdioServerTransport());
