import { AuthError, ConsentSlot, createAuthProvider, fileTokenStore, serverTokenKey, type Authorize, type TokenStore } from '../auth/index.js';
import type { RuntimeServer } from '../config/schema.js';
import { realClock, type RuntimeClock } from '../core/clock.js';
import { connectorFor, StderrRing } from '../protocol/index.js';

/**
 * `switchboard login <server>` as a function: authorizes one server from a terminal (the caller's
 * `authorize` prints the URL and opens a browser; the loopback listener takes the redirect),
 * stores the tokens, then connects once to prove they work.
 */

export interface LoginOptions {
  /** Shows or opens the URL; returns nothing to let the loopback listener take the redirect. */
  authorize: Authorize;
  /** Defaults to the token files under ~/.mcp-switchboard/oauth/. */
  tokenStore?: TokenStore;
  /** Forget stored tokens first and ask for consent again. Defaults to false. */
  force?: boolean;
  clock?: RuntimeClock;
  log?(level: string, message: string): void;
  clientInfo?: { name: string; version: string };
}

export interface LoginResult {
  /** The token store key the tokens are under (the file name without `.json` for the file store). */
  key: string;
  /** True when a consent flow ran; false when stored tokens (or a refresh) were enough. */
  consented: boolean;
  /** The server's name and version from `initialize`. */
  serverInfo?: { name: string; version: string };
}

/** The token store key of a server's record (its name and resource URL). */
export function tokenKeyOf(server: RuntimeServer & { transport: 'http' | 'sse' }): string {
  return serverTokenKey(server.name, server.url);
}

/** Authorizes `server` and stores its tokens; rejects with AuthError when that fails. */
export async function loginServer(server: RuntimeServer, options: LoginOptions): Promise<LoginResult> {
  if ((server.transport !== 'http' && server.transport !== 'sse') || !server.auth) {
    throw new AuthError(`server "${server.name}" has no auth block: there is nothing to log in to`);
  }
  const store = options.tokenStore ?? fileTokenStore();
  const key = tokenKeyOf(server);
  if (options.force) await store.delete(key);
  let consented = false;
  const clock = options.clock ?? realClock;
  const auth = createAuthProvider(server, {
    tokenStore: store,
    // One login is one flow: a slot of its own.
    consent: new ConsentSlot(),
    authorize: async (request) => {
      consented = true;
      return options.authorize(request);
    },
    clock,
    log: options.log ?? (() => undefined),
  })!;
  // Consent takes as long as the person needs, up to timeouts.connectMs × 30; then one connect.
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new AuthError('login timed out')), server.timeouts.connectMs * 31);
  try {
    const stored = await store.load(key);
    if (!stored?.tokens && server.auth.type === 'oauth') await auth.authorizeNow(controller.signal);
    const ignore = () => undefined;
    const session = await connectorFor(server).open(
      { server, custom: undefined, stderr: new StderrRing(1024), signal: controller.signal, clientInfo: options.clientInfo ?? { name: 'mcp-switchboard', version: '0.1.0' }, auth },
      { lost: ignore, suspect: ignore, transportError: ignore, listChanged: ignore, log: ignore, resourceUpdated: ignore },
    );
    const serverInfo = session.facts.serverInfo;
    await session.close();
    return { key, consented, ...(serverInfo ? { serverInfo: { name: serverInfo.name, version: serverInfo.version } } : {}) };
  } finally {
    clock.clearTimeout(timer);
  }
}
