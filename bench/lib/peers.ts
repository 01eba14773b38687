import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serverCommand, type ServerSpec, type Target } from './targets.js';

/**
 * The best-known peers, used the way their docs say, loaded from bench/peers (their own
 * dependency tree, installed by the bench runner, so they never touch the library's).
 */
const requirePeer = createRequire(new URL('../peers/package.json', import.meta.url));

interface InvokableTool {
  name: string;
  invoke(args: Record<string, unknown>): Promise<unknown>;
}

/** @langchain/mcp-adapters `MultiServerMCPClient` (stdio and streamable HTTP; no in-memory transport). */
export function langchainTarget(): Target {
  const { MultiServerMCPClient } = requirePeer('@langchain/mcp-adapters') as {
    MultiServerMCPClient: new (config: unknown) => { getTools(): Promise<InvokableTool[]>; close(): Promise<void> };
  };
  let client: InstanceType<typeof MultiServerMCPClient> | undefined;
  const tools = new Map<string, InvokableTool>();
  return {
    async connect(specs: ServerSpec[]) {
      const mcpServers: Record<string, unknown> = {};
      for (const spec of specs) {
        if (spec.transport === 'memory') throw new Error('langchain: no in-memory transport');
        mcpServers[spec.name] =
          spec.transport === 'stdio' ? { transport: 'stdio', ...serverCommand('stdio') } : { transport: 'http', url: spec.url };
      }
      client = new MultiServerMCPClient({ mcpServers, prefixToolNameWithServerName: true, additionalToolNamePrefix: '' });
      for (const tool of await client.getTools()) tools.set(tool.name, tool);
    },
    call: (server, tool, args) => tools.get(`${server}__${tool}`)!.invoke(args),
    async close() {
      await client?.close();
    },
  };
}

interface ExecutableTool {
  execute(input: { context: Record<string, unknown> }): Promise<unknown>;
}

/** @mastra/mcp `MCPClient` (0.14, the newest line that runs on Node 20). */
export function mastraTarget(): Target {
  const { MCPClient } = requirePeer('@mastra/mcp') as {
    MCPClient: new (config: unknown) => { getToolsets(): Promise<Record<string, Record<string, ExecutableTool>>>; disconnect(): Promise<void> };
  };
  let client: InstanceType<typeof MCPClient> | undefined;
  let toolsets: Record<string, Record<string, ExecutableTool>> = {};
  return {
    async connect(specs: ServerSpec[]) {
      const servers: Record<string, unknown> = {};
      for (const spec of specs) {
        if (spec.transport === 'memory') throw new Error('mastra: no in-memory transport');
        servers[spec.name] = spec.transport === 'stdio' ? serverCommand('stdio') : { url: new URL(spec.url!) };
      }
      client = new MCPClient({ servers, id: `bench-${process.pid}` });
      toolsets = await client.getToolsets();
    },
    call: (server, tool, args) => toolsets[server]![tool]!.execute({ context: args }),
    async close() {
      await client?.disconnect();
    },
  };
}

/** The peers by target name, with the package that holds their MCP client. */
export const PEER_PACKAGES: Record<string, string> = { langchain: '@langchain/mcp-adapters', mastra: '@mastra/mcp' };

/** The version and MCP SDK dependencies of an installed peer package, or undefined when it is not installed. */
function installed(pkg: string): { version: string; deps: Record<string, string> } | undefined {
  try {
    const json = JSON.parse(readFileSync(new URL(`../peers/node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    return { version: json.version, deps: { ...json.peerDependencies, ...json.dependencies } };
  } catch {
    return undefined;
  }
}

/**
 * Which installed peers can speak 2026-07-28 (DESIGN §9.4: peers join the modern rows only if they
 * do): a peer whose package depends on the v2 client (`@modelcontextprotocol/client`) may; one on
 * the v1 SDK alone never will. A peer that joins still has to connect in the modern era, or its
 * measurement fails (measure.ts checks the era). `skipped` says why each other one is left out.
 */
export function modernPeers(): { peers: string[]; skipped: string[] } {
  const peers: string[] = [];
  const skipped: string[] = [];
  for (const [name, pkg] of Object.entries(PEER_PACKAGES)) {
    const found = installed(pkg);
    if (!found) skipped.push(`${name} (${pkg} not installed)`);
    else if (found.deps['@modelcontextprotocol/client']) peers.push(name);
    else skipped.push(`${name} (${pkg} ${found.version} is on @modelcontextprotocol/sdk ${found.deps['@modelcontextprotocol/sdk'] ?? '?'}, v1 only)`);
  }
  return { peers, skipped };
}
