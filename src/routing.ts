import type { ToolInfo } from '../machines/types.js';
import { AmbiguousToolError, SwitchboardError } from './errors.js';
import { distinctQualifiedName, splitQualified } from './naming.js';

/**
 * Tool routing (DESIGN §5): a bare name routes when exactly one server has it; `server__tool`,
 * a qualified name or `{ server }` always works. Built from every enabled server's last known
 * catalog, so a bare name never silently moves to another server while its owner is down. Two
 * tools whose plain qualified names collide both get a hashed, distinct one, and the plain name
 * itself is ambiguous: a call never lands on whichever server won.
 */

/** Where a call goes. */
export interface Route {
  server: string;
  tool: string;
}

export class ToolIndex {
  private readonly all: ToolInfo[] = [];
  private readonly byName = new Map<string, ToolInfo[]>();
  private readonly byQualified = new Map<string, ToolInfo>();
  /** Plain qualified names shared by several tools, with the tools that share them. */
  private readonly collided = new Map<string, ToolInfo[]>();
  /** Tools per server, so a call with `{ server }` is checked in O(1) whatever the catalog size. */
  private readonly byServer = new Map<string, { names: Set<string>; tools: ToolInfo[] }>();

  constructor(catalogs: Readonly<Record<string, readonly ToolInfo[]>>) {
    const sharing = new Map<string, number>();
    for (const tools of Object.values(catalogs)) for (const tool of tools) sharing.set(tool.qualifiedName, (sharing.get(tool.qualifiedName) ?? 0) + 1);
    for (const [server, tools] of Object.entries(catalogs)) {
      const own = { names: new Set<string>(), tools: [] as ToolInfo[] };
      this.byServer.set(server, own);
      for (const listed of tools) {
        const shared = sharing.get(listed.qualifiedName)! > 1;
        const tool = shared ? { ...listed, qualifiedName: distinctQualifiedName(listed.server, listed.name) } : listed;
        if (shared) this.collided.set(listed.qualifiedName, [...(this.collided.get(listed.qualifiedName) ?? []), tool]);
        own.names.add(tool.name);
        own.tools.push(tool);
        this.all.push(tool);
        const list = this.byName.get(tool.name);
        if (list) list.push(tool);
        else this.byName.set(tool.name, [tool]);
        this.byQualified.set(tool.qualifiedName, tool);
      }
    }
  }

  /** Every tool, with its final (collision-free) qualified name. */
  tools(): ToolInfo[] {
    return [...this.all];
  }

  /** One server's tools (none for an unknown server). */
  toolsOf(server: string): ToolInfo[] {
    return [...(this.byServer.get(server)?.tools ?? [])];
  }

  /**
   * Resolves a name; `hasServer` says whether a server is configured and enabled, `unconnected`
   * which enabled servers are not connected (named in ToolNotFound: their tools are unknown).
   */
  resolve(name: string, server: string | undefined, hasServer: (server: string) => boolean, unconnected: () => string[] = () => []): Route {
    if (server !== undefined) return this.onServer(server, name, hasServer);
    const qualified = this.byQualified.get(name);
    if (qualified) return { server: qualified.server, tool: qualified.name };
    const sharers = this.collided.get(name);
    if (sharers) {
      throw new AmbiguousToolError(name, sharers.map((t) => t.server), `qualified name "${name}" fits tools of several servers; use ${sharers.map((t) => `"${t.qualifiedName}"`).join(' or ')}, or { server }`);
    }
    const owners = this.byName.get(name);
    if (owners && owners.length === 1) return { server: owners[0]!.server, tool: name };
    if (owners && owners.length > 1) throw new AmbiguousToolError(name, owners.map((t) => t.server));
    const split = splitQualified(name);
    if (split && hasServer(split.server)) return this.onServer(split.server, split.tool, hasServer);
    const down = unconnected();
    const why = down.length > 0 ? `; not connected (tools unknown): ${down.map((s) => `"${s}"`).join(', ')}` : '';
    throw new SwitchboardError('ToolNotFound', `no server has a tool named "${name}"${why}`);
  }

  private onServer(server: string, name: string, hasServer: (server: string) => boolean): Route {
    if (!hasServer(server)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${server}"`);
    const own = this.byServer.get(server);
    // Never listed yet (still connecting, or down since start): admit the call, the server decides.
    if (!own) return { server, tool: name };
    if (own.names.has(name)) return { server, tool: name };
    const qualified = this.byQualified.get(name);
    if (qualified?.server === server) return { server, tool: qualified.name };
    const split = splitQualified(name);
    if (split?.server === server && own.names.has(split.tool)) return { server, tool: split.tool };
    throw new SwitchboardError('ToolNotFound', `server "${server}" has no tool named "${name}"`);
  }
}
