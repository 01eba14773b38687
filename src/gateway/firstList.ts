import type { Logger } from '../core/logger.js';
import type { ServerStatus } from '../servers/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';

/**
 * The gateway's first list waits for slow starts (DESIGN §18). A host such as Claude Desktop lists
 * tools once, right after `initialize`; a server that is still starting then (a cold `npx -y`
 * downloads its package first) would be missing from that host until it happens to list again. So
 * a session's first `tools/list`, `prompts/list`, `resources/list` or `resources/templates/list`
 * waits, up to `gateway.initialWaitMs`, while any server it can see is on its first connect
 * (`connecting`, or `disconnected` and retrying, never connected yet). It ends early once every
 * such server settles (connected, or in `error`), and at once on a reload, on the gateway's close
 * or when the request is cancelled. Lists after it answer at once; servers that connect later are
 * announced with `list_changed`, as always.
 */

/** Whether a server is on its first connect: starting or retrying, and never connected yet. */
export function firstConnecting(status: ServerStatus): boolean {
  const starting = status.state === 'connecting' || (status.state === 'disconnected' && status.substate !== 'idle');
  return starting && status.connectedAt === null && status.reconnects === 0 && status.serverInfo === null && status.protocol === undefined;
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

  /** The servers `visible` admits that are on their first connect. */
  pending(visible: (server: string) => boolean): string[] {
    return this.sb.listServers().filter((s) => visible(s.name) && firstConnecting(s)).map((s) => s.name);
  }

  /**
   * Resolves when no server `visible` admits is on its first connect, `limitMs` after it began,
   * on a reload, on `close()` or when `signal` aborts, whichever is first; never rejects. Resolves
   * at once when nothing is pending or the limit is 0. Says `true` when it waited.
   */
  wait(visible: (server: string) => boolean, signal?: AbortSignal): Promise<boolean> {
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
          this.logger?.log('info', `gateway: a first list answered after ${limit} ms (gateway.initialWaitMs) without servers still connecting: ${names}; list_changed follows when they connect`);
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
