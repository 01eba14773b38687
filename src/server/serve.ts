import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createGatewayHttpHandler, type Gateway, type GatewayHttpHandler } from '../gateway/index.js';
import { toLogLevel, type Logger } from '../core/logger.js';
import type { ReloadResult } from '../servers/index.js';
import type { ClusterContext } from '../cluster/bus.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { createAdminApp } from './app.js';
import { generateToken, tokenFilePath, writeTokenFile } from './auth.js';
import { allowedHostNames, bindsEveryInterface, hostWithPort } from './guards.js';
import { MCP_PATH, mcpEndpoint } from './mcpEndpoint.js';
import { profileOfPath, RESERVED_PROFILE_NAMES } from './routes.js';

/** Options of the admin service around a switchboard. */
export interface ServeOptions {
  /** Bind address. Defaults to the config's `admin.host`, else 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Defaults to the config's `admin.port`, else 7300. */
  port?: number;
  /** Bearer token; when empty, one is generated and written to a file only this user can read. */
  token?: string;
  logger: Logger;
  /** How long in-flight calls may finish after a shutdown starts. Defaults to 10 000 ms. */
  graceMs?: number;
  heartbeatMs?: number;
  /**
   * Whether `serve` writes the switchboard's events to `logger`. Defaults to true; pass false
   * when the same logger was given to `createSwitchboard`, which logs them itself.
   */
  logEvents?: boolean;
  /**
   * Served as streamable HTTP MCP at `/mcp` (same token and Host/Origin checks), and each gateway
   * profile at `/mcp/<profile>` (the same checks and bounds; an unknown profile is 404); their
   * sessions end at `close()`, a profile's when a reload removes it. Create the switchboard with
   * the gateway router's handlers (see createGateway). Defaults to none: `/mcp` answers 404.
   */
  gateway?: Gateway;
  /** Reloads the config file for `POST /mcp/config/reload`. Defaults to none (that route answers 501). */
  reload?: () => Promise<ReloadResult>;
  /** The cluster of this replica (DESIGN §16): its `/mcp` sessions are served by every replica. Defaults to none. */
  gatewayCluster?: { context: ClusterContext; timeoutMs?: number };
}

/** A running admin service. */
export interface Service {
  url: string;
  port: number;
  token: string;
  /** Set when the token was generated: the file it was written to. */
  tokenFile: string | undefined;
  /** Host header values the API accepts; the inspector relay accepts the same as Origin. */
  allowedHosts: string[];
  /** Resolves when `sb.start()` has settled (every server connected, in error or backing off), or at close. */
  started: Promise<void>;
  /** Masks the switchboard's secrets and the admin token. */
  redact(text: string): string;
  /** Stops accepting calls, lets in-flight ones finish within the grace period, stops everything. Safe during start. */
  close(): Promise<void>;
}

/**
 * Binds the admin HTTP API in front of a switchboard and starts its servers. Resolves once the
 * port is bound, without waiting for the servers (`started` does): the API answers while they
 * connect (`/readyz` says `starting`) and `close()` works at any time, so a signal during a slow
 * start stops cleanly.
 */
export async function serve(sb: Switchboard, options: ServeOptions): Promise<Service> {
  const admin = sb.adminConfig;
  const host = options.host ?? admin.host ?? '127.0.0.1';
  const port = options.port ?? admin.port ?? 7300;
  const configured = options.token ?? admin.token ?? '';
  const token = configured || generateToken();
  const logger = options.logger;
  const redact = (text: string) => sb.redact(text).split(token).join('***');
  let accepting = true;
  let ready = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;

  const offs = options.logEvents === false ? [] : [
    sb.on('server.stateChanged', (e) =>
      logger.log(e.to === 'error' ? 'error' : e.to === 'disconnected' ? 'warn' : 'info', 'server state changed', { ...e, error: e.error ? { ...e.error, message: redact(e.error.message) } : undefined }),
    ),
    sb.on('breaker.stateChanged', (e) => logger.log(e.to === 'closed' ? 'info' : 'warn', 'circuit breaker state changed', { ...e })),
    sb.on('tools.changed', (e) => logger.log('info', 'tools changed', { ...e })),
    sb.on('server.log', (e) => logger.log(toLogLevel(e.level), redact(e.message), { server: e.server, source: 'server' })),
    sb.on('call.completed', (e) => logger.log(e.ok ? 'debug' : 'warn', 'call completed', { ...e })),
    sb.on('error', (e) => logger.log('error', redact(e.error.message), { server: e.server })),
  ];

  // A client must send its whole request (headers and body) within these, or its socket is
  // closed: trickled requests cannot hold connections or in-flight counts (Node's defaults are
  // 60 s and 300 s, checked every 30 s).
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 5_000 });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    for (const off of offs) off();
    throw error;
  }
  const boundPort = (server.address() as AddressInfo).port;
  const allowedHosts = allowedHostNames(host, boundPort, admin.allowedHosts ?? []);
  const lifecycle = {
    accepting: () => accepting,
    ready: () => ready && accepting,
    begin: () => void inFlight++,
    end: () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    },
  };
  const { app, close: closeApp } = createAdminApp(sb, {
    token,
    allowedHosts,
    redact,
    logger,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.reload ? { reload: options.reload } : {}),
    lifecycle,
  });
  const adminListener = getRequestListener(app.fetch);
  const bounds = sb.gatewayConfig;
  const gateway = options.gateway;
  // With a cluster, legacy /mcp sessions are shared through it (DESIGN §16) unless the caller says otherwise.
  const sharing = options.gatewayCluster ?? (sb.cluster ? { context: sb.cluster.context(), timeoutMs: sb.cluster.commandTimeoutMs } : undefined);
  const httpOf = (profile?: string) =>
    createGatewayHttpHandler(gateway!, {
      maxSessions: bounds.maxSessions,
      idleMs: bounds.sessionIdleMs,
      maxBufferedBytes: bounds.maxBufferedBytes,
      maxMessageBytes: bounds.maxMessageBytes,
      ...(profile === undefined ? {} : { profile }),
      ...(sharing ? { cluster: sharing.context, ...(sharing.timeoutMs === undefined ? {} : { clusterTimeoutMs: sharing.timeoutMs }) } : {}),
    });
  const gatewayHttp = gateway ? httpOf() : undefined;
  // One handler per profile, made on its first request: each has `/mcp`'s bounds, its sessions its own.
  const profileHttp = new Map<string, GatewayHttpHandler>();
  const profiles = () => (gateway ? gateway.profiles : []);
  const handlerFor = (profile: string | undefined): GatewayHttpHandler | undefined => {
    if (profile === undefined) return gatewayHttp;
    if (!profiles().includes(profile)) return undefined;
    let handler = profileHttp.get(profile);
    if (!handler) profileHttp.set(profile, (handler = httpOf(profile)));
    return handler;
  };
  const mcp = gatewayHttp ? mcpEndpoint({ handlerFor, profiles, token, allowedHosts: new Set(allowedHosts), lifecycle }) : undefined;
  // `/mcp` and `/mcp/<profile>` are the gateway (node:http, the SDK transport reads the request); the rest is Hono.
  server.on('request', (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const profile = mcp && path !== MCP_PATH ? profileOfPath(path) : undefined;
    if (mcp && (path === MCP_PATH || profile !== undefined)) mcp(req, res, profile);
    else void adminListener(req, res);
  });
  const unservedProfiles = () => {
    const hidden = profiles().filter((name) => RESERVED_PROFILE_NAMES.has(name));
    if (hidden.length > 0) logger.log('warn', `gateway profiles ${hidden.map((p) => `"${p}"`).join(', ')} are not served over HTTP: /mcp/<name> is an admin API route (rename them; switchboard gateway --profile still serves them)`);
  };
  if (gateway) {
    unservedProfiles();
    // A reload that removes a profile ends its HTTP sessions; its path answers 404 from then on.
    offs.push(
      sb.on('config.reloaded', () => {
        unservedProfiles();
        for (const [profile, handler] of profileHttp) {
          if (profiles().includes(profile)) continue;
          profileHttp.delete(profile);
          void handler.close();
        }
      }),
    );
  }

  let tokenFile: string | undefined;
  if (!configured) {
    tokenFile = tokenFilePath(boundPort);
    writeTokenFile(tokenFile, token);
  }
  const url = `http://${hostWithPort(host, boundPort)}`;
  const servedProfiles = profiles().filter((name) => !RESERVED_PROFILE_NAMES.has(name)).map((name) => `${url}${MCP_PATH}/${name}`);
  logger.log('info', 'admin API listening', { url, tokenFile, allowedHosts, mcp: gatewayHttp ? `${url}${MCP_PATH}` : undefined, ...(servedProfiles.length > 0 ? { profiles: servedProfiles } : {}) });
  if (bindsEveryInterface(host)) {
    logger.log('warn', `listening on every interface (${host}); the Host header must be one of the accepted names, add the names clients use to admin.allowedHosts`, { allowedHosts });
  }

  // start() rejects only when stop() came first: that is a close during start, not a failure.
  const started = sb.start().then(
    () => {
      if (!accepting) return;
      ready = true;
      logger.log('info', 'switchboard ready', { servers: sb.listServers().map((s) => ({ name: s.name, state: s.state })) });
    },
    () => undefined,
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port: boundPort,
    token,
    tokenFile,
    allowedHosts,
    started,
    redact,
    close: () =>
      (closing ??= (async () => {
        accepting = false;
        logger.log('info', 'shutting down', { inFlight, started: ready });
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.graceMs ?? 10_000);
            idle = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        // Downstream sessions end before the upstreams stop: a host sees its session close, not errors.
        await gatewayHttp?.close();
        await Promise.allSettled([...profileHttp.values()].map((handler) => handler.close()));
        profileHttp.clear();
        await options.gateway?.close();
        closeApp();
        await sb.stop();
        await started;
        for (const off of offs) off();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        logger.log('info', 'stopped');
      })()),
  };
}
