var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// bench/benchServer.mjs
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
function buildBenchServer(name = "bench") {
  const server = new McpServer({ name, version: "1.0.0" });
  server.registerTool("echo", { description: "Echoes", inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text }] }));
  for (let i = 0; i < 10; i++) {
    server.registerTool(`tool_${i}`, { description: `Tool ${i}`, inputSchema: { n: z.number().optional() } }, async () => ({ content: [{ type: "text", text: String(i) }] }));
  }
  return server;
}
var mode;
var init_benchServer = __esm({
  async "bench/benchServer.mjs"() {
    "use strict";
    mode = process.argv[2];
    if (mode === "stdio") {
      await buildBenchServer().connect(new StdioServerTransport());
      process.stdin.on("end", () => process.exit(0));
    } else if (mode === "http") {
      const sessions = /* @__PURE__ */ new Map();
      const http = createServer(async (req, res) => {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : void 0;
        const id = req.headers["mcp-session-id"];
        let transport = id ? sessions.get(id) : void 0;
        if (!transport) {
          if (id) return void res.writeHead(404).end();
          transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (sid) => sessions.set(sid, transport) });
          transport.onclose = () => sessions.delete(transport.sessionId);
          await buildBenchServer().connect(transport);
        }
        await transport.handleRequest(req, res, body);
      });
      http.keepAliveTimeout = 6e4;
      http.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${http.address().port}
`));
      process.on("SIGTERM", () => process.exit(0));
      if (!process.stdin.isTTY) process.stdin.on("end", () => process.exit(0)).resume();
    }
  }
});

// bench/lib/targets.ts
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
function serverCommand(mode2) {
  const cpu = process.env.BENCH_SERVER_CPU;
  return cpu ? { command: "taskset", args: ["-c", cpu, process.execPath, BENCH_SERVER, mode2] } : { command: process.execPath, args: [BENCH_SERVER, mode2] };
}
async function memoryTransport() {
  const [client, server] = InMemoryTransport.createLinkedPair();
  await buildBenchServer().connect(server);
  return client;
}
function floorTarget() {
  const clients = /* @__PURE__ */ new Map();
  return {
    async connect(specs) {
      await Promise.all(
        specs.map(async (spec) => {
          const client = new Client({ name: "floor", version: "1.0.0" });
          const transport = spec.transport === "memory" ? await memoryTransport() : spec.transport === "stdio" ? new StdioClientTransport({ ...serverCommand("stdio"), stderr: "ignore" }) : new StreamableHTTPClientTransport(new URL(spec.url));
          await client.connect(transport);
          await client.listTools();
          clients.set(spec.name, client);
        })
      );
    },
    call: (server, tool, args) => clients.get(server).callTool({ name: tool, arguments: args }),
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    }
  };
}
function switchboardTarget() {
  let sb;
  return {
    async connect(specs) {
      const servers = {};
      const transports = {};
      for (const spec of specs) {
        if (spec.transport === "memory") transports[spec.name] = memoryTransport;
        else if (spec.transport === "stdio") servers[spec.name] = { transport: "stdio", ...serverCommand("stdio") };
        else servers[spec.name] = { transport: "http", url: spec.url };
      }
      sb = library.createSwitchboard({ servers, defaults: SAME_WORK }, { transports });
      await sb.start();
    },
    call: (server, tool, args) => sb.callTool(tool, args, { server }),
    async close() {
      await sb?.stop();
    }
  };
}
var BENCH_SERVER, library, SAME_WORK;
var init_targets = __esm({
  async "bench/lib/targets.ts"() {
    "use strict";
    await init_benchServer();
    BENCH_SERVER = fileURLToPath(new URL("../benchServer.mjs", import.meta.url));
    library = await import(new URL("../../dist/src/index.js", import.meta.url).href);
    SAME_WORK = { limits: { maxConcurrentCalls: 64, maxQueue: 1e3 }, timeouts: { connectMs: 6e4 } };
  }
});

// bench/lib/peers.ts
var peers_exports = {};
__export(peers_exports, {
  langchainTarget: () => langchainTarget,
  mastraTarget: () => mastraTarget
});
import { createRequire } from "node:module";
function langchainTarget() {
  const { MultiServerMCPClient } = requirePeer("@langchain/mcp-adapters");
  let client;
  const tools = /* @__PURE__ */ new Map();
  return {
    async connect(specs) {
      const mcpServers = {};
      for (const spec of specs) {
        if (spec.transport === "memory") throw new Error("langchain: no in-memory transport");
        mcpServers[spec.name] = spec.transport === "stdio" ? { transport: "stdio", ...serverCommand("stdio") } : { transport: "http", url: spec.url };
      }
      client = new MultiServerMCPClient({ mcpServers, prefixToolNameWithServerName: true, additionalToolNamePrefix: "" });
      for (const tool of await client.getTools()) tools.set(tool.name, tool);
    },
    call: (server, tool, args) => tools.get(`${server}__${tool}`).invoke(args),
    async close() {
      await client?.close();
    }
  };
}
function mastraTarget() {
  const { MCPClient } = requirePeer("@mastra/mcp");
  let client;
  let toolsets = {};
  return {
    async connect(specs) {
      const servers = {};
      for (const spec of specs) {
        if (spec.transport === "memory") throw new Error("mastra: no in-memory transport");
        servers[spec.name] = spec.transport === "stdio" ? serverCommand("stdio") : { url: new URL(spec.url) };
      }
      client = new MCPClient({ servers, id: `bench-${process.pid}` });
      toolsets = await client.getToolsets();
    },
    call: (server, tool, args) => toolsets[server][tool].execute({ context: args }),
    async close() {
      await client?.disconnect();
    }
  };
}
var requirePeer;
var init_peers = __esm({
  async "bench/lib/peers.ts"() {
    "use strict";
    await init_targets();
    requirePeer = createRequire(new URL("../peers/package.json", import.meta.url));
  }
});

// bench/lib/registry.ts
await init_targets();
async function loadTarget(name) {
  switch (name) {
    case "floor":
      return floorTarget();
    case "switchboard":
      return switchboardTarget();
    case "langchain":
      return (await init_peers().then(() => peers_exports)).langchainTarget();
    case "mastra":
      return (await init_peers().then(() => peers_exports)).mastraTarget();
    default:
      throw new Error(`unknown target ${name}`);
  }
}
export {
  loadTarget
};
