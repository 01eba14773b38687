import type { ToolInfo } from '../machines/types.js';
import { AmbiguousToolError, SwitchboardError } from './errors.js';
import { splitQualified } from './naming.js';

/**
 * Tool routing (DESIGN §5): a bare name routes when exactly one server has it; `server__tool`,
 * a qualified name or `{ server }` always works. Built from every enabled server's last known
 * catalog, so a bare name never silently moves to another server while its owner is down.
 */

/** Where a call goes. */
export interface Route {
  server: string;
  tool: string;
}

export class ToolIndex {
  private readonly byName = new Map<string, ToolInfo[]>();
  private readonly byQualified = new Map<string, ToolInfo>();
  /** Tool names per server, so a call with `{ server }` is checked in O(1) whatever the catalog size. */
  private readonly byServer = new Map<string, Set<string>>();

  constructor(catalogs: Readonly<Record<string, readonly ToolInfo[]>>) {
    for (const [server, tools] of Object.entries(catalogs)) {
      this.byServer.set(server, new Set(tools.map((t) => t.name)));
      for (const tool of tools) {
        const list = this.byName.get(tool.name);
        if (list) list.push(tool);
        else this.byName.set(tool.name, [tool]);
        this.byQualified.set(tool.qualifiedName, tool);
      }
    }
  }

  /** Resolves a name; `hasServer` says whether a server is configured (and enabled). */
  resolve(name: string, server: string | undefined, hasServer: (server: string) => boolean): Route {
    if (server !== undefined) return this.onServer(server, name, hasServer);
    const qualified = this.byQualified.get(name);
    if (qualified) return { server: qualified.server, tool: qualified.name };
    const owners = this.byName.get(name);
    if (owners && owners.length === 1) return { server: owners[0]!.server, tool: name };
    if (owners && owners.length > 1) throw new AmbiguousToolError(name, owners.map((t) => t.server));
    const split = splitQualified(name);
    if (split && hasServer(split.server)) return this.onServer(split.server, split.tool, hasServer);
    throw new SwitchboardError('ToolNotFound', `no server has a tool named "${name}"`);
  }

  private onServer(server: string, name: string, hasServer: (server: string) => boolean): Route {
    if (!hasServer(server)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${server}"`);
    const catalog = this.byServer.get(server);
    // Never listed yet (still connecting, or down since start): admit the call, the server decides.
    if (!catalog) return { server, tool: name };
    if (catalog.has(name)) return { server, tool: name };
    const qualified = this.byQualified.get(name);
    if (qualified?.server === server) return { server, tool: qualified.name };
    const split = splitQualified(name);
    if (split?.server === server && catalog.has(split.tool)) return { server, tool: split.tool };
    throw new SwitchboardError('ToolNotFound', `server "${server}" has no tool named "${name}"`);
  }
}
