import type { Logger } from '../core/logger.js';
import type { ServerStatus } from '../servers/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';

/**
 * The gateway's first list waits for slow starts (DESIGN §18). A host such as Claude Desktop lists
 * tools once, right after `initialize`; a server that is still starting then (a cold `npx -y`
 * downloads its package first) would be missing from that host until it happens to list again. So
 * a session's first `tools/list`, `prompts/list`, `resources/list` or `resources/templates/list`
 * waits, up to `gateway.initialWaitMs`, while any server it can see is starting: on its FIRST
 * connect attempt (never connected, and no attempt failed yet). A server whose first attempt
 * failed (a connect timeout, a crash at start) is not waited for any more: its tools are unknown
 * and `list_changed` announces them once it connects; otherwise a server that keeps failing would
 * hold every new session's first list for the whole `initialWaitMs`. The wait ends early once no
 * such server is left, and at once on a reload, on the gateway's close or when the request is
 * cancelled. Lists after it answer at once.
 *
 * A call (`tools/call`, `prompts/get`) of a name the session does not know yet waits the same way,
 * but only for the server the name belongs to (`ownersOf`: its `server__` prefix), and not at all
 * when that server is connected (its catalog is known: the name is unknown) or is no server of
 * the session's view.
 */

/**
 * Whether a server is starting: on its first connect attempt (connecting, or about to), never
 * connected and no failed attempt yet (`lastError` is set by a failed attempt and cleared only by
 * a connect or a manual reconnect).
 */
export function firstConnecting(status: ServerStatus): boolean {
  const starting = status.state === 'connecting' || (status.state === 'disconnected' && status.substate !== 'idle');
  const neverConnected = status.connectedAt === null && status.reconnects === 0 && status.serverInfo === null && status.protocol === undefined;
  return starting && neverConnected && status.lastError === null;
}

/** How a server's name starts a qualified name of its tools and prompts (`naming.ts` cleans unsafe characters so). */
function prefixOf(server: string): string {
  return `${server.replace(/[^A-Za-z0-9_-]/g, '_')}__`;
}

/**
 * The servers among `servers` whose tool or prompt `name` may be: those whose qualified names
 * start like it (`server__…`; a renamed tool keeps its server's prefix, a hashed name the cleaned
 * server name). Usually one; none for a bare name or a prefix that names no server. Server names
 * may end in `_` (`s_` and `s` both fit `s___x`), so every fitting server is named.
 */
export function ownersOf(name: string, servers: Iterable<string>): string[] {
  const owners: string[] = [];
  for (const server of servers) if (name.startsWith(prefixOf(server))) owners.push(server);
  return owners;
}

/** The waits of one gateway. */
export class FirstLists {
  private readonly ends = new Set<() => void>();
  private closed = false;

  /** `limitMs` is read at each wait (a reload may change `gateway.initialWaitMs`). */
  constructor(
    private readonly sb: Switchboard,
    private readonly limitMs: () => number,
    private readonly logger: Logger | undefined,
  ) {}

  /** The servers `visible` admits that are starting (`firstConnecting`). */
  pending(visible: (server: string) => boolean): string[] {
    return this.sb.listServers().filter((s) => visible(s.name) && firstConnecting(s)).map((s) => s.name);
  }

  /**
   * Resolves when no server `visible` admits is starting, `limitMs` after it began,
   * on a reload, on `close()` or when `signal` aborts, whichever is first; never rejects. Resolves
   * at once when nothing is pending or the limit is 0. Says `true` when it waited.
   */
  wait(visible: (server: string) => boolean, signal?: AbortSignal, what = 'a first list'): Promise<boolean> {
    const limit = this.limitMs();
    if (this.closed || limit <= 0 || signal?.aborted || this.pending(visible).length === 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const offs: (() => void)[] = [];
      const end = () => {
        for (const off of offs.splice(0)) off();
        this.ends.delete(end);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const left = this.pending(visible);
        if (left.length > 0) {
          const names = left.map((s) => `"${s}"`).join(', ');
          this.logger?.log('info', `gateway: ${what} answered after ${limit} ms (gateway.initialWaitMs) without servers still connecting: ${names}; list_changed follows when they connect`);
        }
        end();
      }, limit);
      // A waiting list must not keep a stopping process alive.
      timer.unref?.();
      offs.push(() => clearTimeout(timer));
      offs.push(this.sb.on('server.stateChanged', () => {
        if (this.pending(visible).length === 0) end();
      }));
      offs.push(this.sb.on('config.reloaded', end));
      if (signal) {
        signal.addEventListener('abort', end, { once: true });
        offs.push(() => signal.removeEventListener('abort', end));
      }
      this.ends.add(end);
    });
  }

  /** Ends every wait now (the gateway closes); later waits resolve at once. */
  close(): void {
    this.closed = true;
    for (const end of [...this.ends]) end();
  }
}
