/**
 * Which tool calls carry a progress token (`_meta.progressToken`). A token is what lets a server
 * report progress, and progress is what pushes a call's deadline out (DESIGN §4); but every token
 * costs the server parsing `_meta` on every request, and with calls in flight over stdio that was
 * the largest part of the throughput the switchboard lost against a bare SDK client, which sends
 * none (bench/PROFILE.md: the server's CPU per call 22-24 µs with tokens, 20-21 without).
 *
 * So a token goes where progress can matter:
 * - always when the caller asked for progress (`onProgress`; the gateway sets it whenever its own
 *   client sent a token), and for every request that is not a tool call;
 * - for a tool's calls until that tool has shown it is quick: `QUIET_CALLS` calls in a row that
 *   settled within a tenth of their timeout (and at most `QUICK_MS`) without a single progress
 *   notification, although they carried a token;
 * - again for every call of that tool from the moment one of its calls takes longer than that or
 *   reports progress.
 * A tool that reports progress, or ever runs long, keeps its token on every call; a tool that
 * answers quickly, call after call, stops paying for one. What a call without a token gives up: a
 * server cannot extend its deadline by progress (it still ends by its deadline, as any call does).
 */

/** Calls in a row that must settle quickly, without progress, before a tool's calls go without a token. */
export const QUIET_CALLS = 64;
/** The longest a call may take and still count as quick (also at most a tenth of its timeout). */
export const QUICK_MS = 1000;
/** Tools remembered; past this the memory starts over (every tool carries tokens again until it shows it is quick). */
const MAX_TOOLS = 10_000;

export class ProgressPolicy {
  /** Per `server\0tool`: quick calls in a row so far (QUIET_CALLS or more: calls go without a token). */
  private readonly quiet = new Map<string, number>();

  /** Whether a call of `tool` on `server` carries a token, the caller's own wish aside. */
  wants(server: string, tool: string): boolean {
    return (this.quiet.get(keyOf(server, tool)) ?? 0) < QUIET_CALLS;
  }

  /** A call of the tool settled after `durationMs` of its `timeoutMs`; `progressed` if it reported any progress. */
  settled(server: string, tool: string, durationMs: number, timeoutMs: number, progressed: boolean): void {
    const key = keyOf(server, tool);
    if (progressed || !isQuick(durationMs, timeoutMs)) {
      this.quiet.delete(key);
      return;
    }
    const count = this.quiet.get(key) ?? 0;
    if (count >= QUIET_CALLS) return;
    if (count === 0 && this.quiet.size >= MAX_TOOLS) this.quiet.clear();
    this.quiet.set(key, count + 1);
  }

  /** A call of the tool failed after `durationMs`: evidence only when it ran long (a timeout above all), which brings the tokens back. */
  failed(server: string, tool: string, durationMs: number, timeoutMs: number): void {
    if (!isQuick(durationMs, timeoutMs)) this.quiet.delete(keyOf(server, tool));
  }

  /** A call of the tool reported progress: from now on its calls carry a token. */
  progressed(server: string, tool: string): void {
    this.quiet.delete(keyOf(server, tool));
  }
}

const keyOf = (server: string, tool: string) => `${server}\u0000${tool}`;
const isQuick = (durationMs: number, timeoutMs: number) => durationMs <= Math.min(QUICK_MS, timeoutMs / 10);
