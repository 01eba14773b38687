import { SimulatedClock } from 'xstate';
import { ConsentSlot, createAuthProvider, memoryTokenStore, type AuthDeps, type Authorize, type TokenStore } from '../../src/auth/index.js';
import { resolveConfig, type RuntimeServer } from '../../src/config/index.js';
import { openSession, type OpenSession } from '../../src/protocol/v1/connect.js';
import { StderrRing } from '../../src/protocol/stderrRing.js';

/** Shared pieces of the auth tests: a server config, a session with authorization, authorize callbacks. */

/** A resolved http server `s` with `auth`. */
export function httpServer(url: string, auth: Record<string, unknown>, extra: Record<string, unknown> = {}): RuntimeServer {
  return resolveConfig({ servers: { s: { transport: 'http', url, auth, timeouts: { connectMs: 5_000 }, ...extra } } }, { env: {} }).servers.s!;
}

/**
 * `codeFromRedirect` that also hands back the redirect's RFC 9207 `iss`, as caught (what a host
 * that catches the redirect itself returns, like the conformance adapter).
 */
export const responseFromRedirect: Authorize = async ({ authorizationUrl }) => {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = new URL(response.headers.get('location') ?? 'about:blank');
  const iss = location.searchParams.get('iss');
  return { code: location.searchParams.get('code')!, ...(iss === null ? {} : { iss }) };
};

/** The consent a browser gives at once: fetch the authorization URL, take the code from its redirect. */
export const codeFromRedirect: Authorize = async ({ authorizationUrl }) => {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (!location) throw new Error(`no redirect from the authorization endpoint (HTTP ${response.status})`);
  return { code: new URL(location).searchParams.get('code')! };
};

/** A browser that follows the redirect to the library's loopback listener; the library takes the code there. */
export const followToLoopback: Authorize = async ({ authorizationUrl }) => {
  const response = await fetch(authorizationUrl);
  await response.text();
};

export interface Harness {
  clock: SimulatedClock;
  store: TokenStore;
  logs: string[];
  /** Consent waits reported (onAuthorizing) and ended (onAuthorized). */
  waits: string[];
  /** Connects a fresh session (one connect attempt) with the server's authorization. */
  connect(server: RuntimeServer, deps?: Partial<AuthDeps>): Promise<OpenSession>;
  /** Closes every session opened. */
  close(): Promise<void>;
}

export function harness(defaults: Partial<AuthDeps> = {}): Harness {
  const clock = new SimulatedClock();
  const store = defaults.tokenStore ?? memoryTokenStore();
  const logs: string[] = [];
  const waits: string[] = [];
  const sessions: OpenSession[] = [];
  const slots = new Map<string, ConsentSlot>();
  const slotOf = (name: string) => {
    let slot = slots.get(name);
    if (!slot) slots.set(name, (slot = new ConsentSlot()));
    return slot;
  };
  return {
    clock,
    store,
    logs,
    waits,
    async connect(server, deps = {}) {
      const auth = createAuthProvider(server, {
        tokenStore: store,
        clock,
        log: (level, message) => logs.push(`${level} ${message}`),
        onAuthorizing: () => waits.push('authorizing'),
        onAuthorized: () => waits.push('authorized'),
        ...defaults,
        ...deps,
        // One flow at a time per server, as a server record keeps it.
        consent: deps.consent ?? slotOf(server.name),
      });
      const session = await openSession(
        { server, custom: undefined, stderr: new StderrRing(1024), signal: new AbortController().signal, clientInfo: { name: 'auth-test', version: '1.0.0' }, ...(auth ? { auth } : {}) },
        () => undefined,
      );
      sessions.push(session);
      return session;
    },
    async close() {
      for (const session of sessions.splice(0)) await session.close();
    },
  };
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0]?.text ?? '') as string;
}
