import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from '../auth/servers.js';
import { CLI } from '../helpers/service.js';
import { ADMIN_TOKEN, clusterYaml, startReplicas, stopReplicas, TOKEN_KEY, until, type Replica, type ReplicaSet } from './replicaHarness.js';

/**
 * Three real `switchboard serve` replicas (DESIGN §16) behind a real haproxy share one OAuth
 * token, sealed in Redis, of a real authorization server that rotates refresh tokens (each valid
 * once, a second use is `invalid_grant`) and issues tokens that expire every 2 s. Calls through
 * the balancer across several expiries: one renewal per expiry in the whole cluster, no refresh
 * token presented twice. Once with `auth: oauth` after a `switchboard login` (refresh_token
 * grants), once with `client_credentials` (the three obtain one token together at start). Needs
 * `npm run build`.
 */

const CLIENT_SECRET = 'svc-secret-value-0123456789';
const LIFETIME_S = 2;
/** Renewals counted before the calls stop. */
const EXPIRIES = 4;

let as: TestAuthServer;
let rs: TestResourceServer;

/** Stops the replicas, the resource server and the authorization server of a describe. */
async function stopAll(): Promise<void> {
  await stopReplicas();
  await rs?.close();
  await as?.close();
}

const grants = () => as.tokenRequests.map((r) => r.grant);

/** Refresh requests the authorization server answered `invalid_grant` (a refresh token unknown or used before), in order. */
function invalidGrants(): string[] {
  const used = new Set<string>();
  const invalid: string[] = [];
  for (const request of as.tokenRequests) {
    if (request.grant !== 'refresh_token') continue;
    const token = request.body.refresh_token ?? '';
    if (used.has(token) || !as.issued.includes(token)) invalid.push(token);
    used.add(token);
  }
  return invalid;
}

/** The sum of a replica's `switchboard_calls_total` samples for `server`. */
async function callsOf(replica: Replica, server: string): Promise<number> {
  const text = await (await replica.api('/metrics')).text();
  return [...text.matchAll(/^switchboard_calls_total\{([^}]*)\} (\d+)$/gm)].filter((m) => m[1]!.includes(`server="${server}"`)).reduce((sum, m) => sum + Number(m[2]), 0);
}

/** `switchboard login guarded` against the cluster's Redis: the URL it prints is followed (the test AS consents at once). */
async function login(configPath: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'login', 'guarded', '--config', configPath, '--no-browser'], {
    env: { ...process.env, TOKEN_KEY, ADMIN_TOKEN, REPLICA_ID: 'login', BALANCER_HOST: '127.0.0.1:1', SWITCHBOARD_STATE_DIR: mkdtempSync(join(tmpdir(), 'sb-login-')) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until(() => /^http:\/\/\S+authorize\S*$/m.test(err) || child.exitCode !== null, 15_000, 'the login URL');
    const url = /^(http:\/\/\S+authorize\S*)$/m.exec(err)?.[1];
    if (!url) throw new Error(`login printed no URL: ${out}\n${err}`);
    // The AS redirects to the loopback listener of the login process, which takes the code.
    await fetch(url);
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  expect(out).toMatch(/authorized "guarded"/);
}

/**
 * Calls `guarded` through the balancer (three at a time) until `EXPIRIES` renewals of `grant`
 * reached the authorization server and 30 calls more went through; what it measured.
 */
async function callAcrossExpiries(set: ReplicaSet, grant: string) {
  const renewals = () => grants().filter((g) => g === grant).length;
  const atStart = renewals();
  const before = await Promise.all(set.replicas.map((r) => callsOf(r, 'guarded')));
  const failures: string[] = [];
  const started = Date.now();
  let calls = 0;
  let running = true;
  const load = Array.from({ length: 3 }, async (_, worker) => {
    for (let n = 0; running; n++) {
      const text = `t${worker}-${n}`;
      try {
        const answer = await set.api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'echo', server: 'guarded', arguments: { text } }) });
        const body = (await answer.json()) as { content?: { text: string }[] };
        if (answer.status !== 200 || body.content?.[0]?.text !== text) failures.push(`${answer.status} ${JSON.stringify(body)}`);
      } catch (error) {
        failures.push(String(error));
      }
      calls++;
    }
  });
  try {
    await until(() => renewals() - atStart >= EXPIRIES, 30_000, `${EXPIRIES} renewals`).catch((error: unknown) => {
      throw new Error(`${String(error)}; grants ${JSON.stringify(grants())}, ${calls} calls, failures ${JSON.stringify(failures.slice(0, 3))}`);
    });
    const at = calls;
    await until(() => calls >= at + 30, 10_000, '30 more calls');
  } finally {
    running = false;
    await Promise.all(load);
  }
  const elapsedMs = Date.now() - started;
  const after = await Promise.all(set.replicas.map((r) => callsOf(r, 'guarded')));
  // A token is renewed a tenth of its lifetime before it expires: one renewal per 1.8 s at most.
  return { elapsedMs, calls, failures, renewals: renewals() - atStart, expiries: Math.ceil(elapsedMs / (LIFETIME_S * 900)) + 1, served: after.map((n, i) => n - before[i]!) };
}

/** Nothing the authorization server issued, nor the client secret, in any replica's output. */
function expectNoSecretsIn(set: ReplicaSet): void {
  const output = set.replicas.map((r) => r.service.stdout() + r.service.stderr()).join('\n');
  for (const value of [...as.issued, CLIENT_SECRET]) expect(output).not.toContain(value);
}

describe('three replicas sharing a logged-in OAuth token behind haproxy', () => {
  let set: ReplicaSet;
  beforeAll(async () => {
    as = await startAuthServer({ rotateRefreshTokens: true, expiresIn: LIFETIME_S });
    rs = await startResourceServer(as, { authServer: () => as.url });
    set = await startReplicas((url) => clusterYaml(url, `  guarded: { transport: http, url: "${rs.url}", auth: { type: oauth } }`), 3, {}, async (configPath) => login(configPath));
  }, 60_000);
  afterAll(stopAll);

  it('refreshes once per expiry across the cluster, with zero invalid_grant', async () => {
    // One consent (the login); the three replicas found its tokens in Redis.
    expect(as.authorizeRequests).toHaveLength(1);
    const m = await callAcrossExpiries(set, 'refresh_token');
    console.log(
      `shared OAuth token (login, ${LIFETIME_S} s tokens, rotating refresh tokens) over ${m.elapsedMs} ms: ${m.calls} calls through haproxy, ${m.failures.length} failed, served per replica ${JSON.stringify(m.served)};` +
        ` ${m.renewals} refreshes at the authorization server (at most ${m.expiries} expiries elapsed), ${invalidGrants().length} invalid_grant; grants ${JSON.stringify(grants())}`,
    );
    expect(m.failures).toEqual([]);
    expect(invalidGrants()).toEqual([]);
    expect(grants().filter((g) => g !== 'refresh_token')).toEqual(['authorization_code']);
    expect(m.renewals).toBeLessThanOrEqual(m.expiries);
    for (const n of m.served) expect(n).toBeGreaterThan(0);
    expectNoSecretsIn(set);
  }, 60_000);
});

describe('three replicas sharing a client_credentials token behind haproxy', () => {
  let set: ReplicaSet;
  beforeAll(async () => {
    as = await startAuthServer({ rotateRefreshTokens: true, expiresIn: LIFETIME_S });
    rs = await startResourceServer(as, { authServer: () => as.url });
    set = await startReplicas(
      (url) => clusterYaml(url, `  guarded: { transport: http, url: "${rs.url}", auth: { type: client_credentials, clientId: svc, clientSecret: "\${SVC_SECRET}" } }`),
      3,
      { SVC_SECRET: CLIENT_SECRET },
    );
  }, 60_000);
  afterAll(stopAll);

  it('obtains one token for the three at start and renews it once per expiry', async () => {
    // The three started together: one token for the cluster (the first connect waits for Redis to connect, briefly).
    expect(grants()).toEqual(['client_credentials']);
    const m = await callAcrossExpiries(set, 'client_credentials');
    console.log(
      `shared OAuth token (client_credentials, ${LIFETIME_S} s tokens) over ${m.elapsedMs} ms: ${m.calls} calls through haproxy, ${m.failures.length} failed, served per replica ${JSON.stringify(m.served)};` +
        ` ${m.renewals} renewals at the authorization server (at most ${m.expiries} expiries elapsed)`,
    );
    expect(m.failures).toEqual([]);
    expect(invalidGrants()).toEqual([]);
    expect(m.renewals).toBeLessThanOrEqual(m.expiries);
    for (const n of m.served) expect(n).toBeGreaterThan(0);
    expectNoSecretsIn(set);
  }, 60_000);
});
