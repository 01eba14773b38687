import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { toLogLevel, type Logger } from '../logger.js';
import type { Switchboard } from '../switchboard.js';
import { createAdminApp } from './app.js';
import { generateToken, tokenFilePath, writeTokenFile } from './auth.js';

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
}

/** A running admin service. */
export interface Service {
  url: string;
  port: number;
  token: string;
  /** Set when the token was generated: the file it was written to. */
  tokenFile: string | undefined;
  /** Stops accepting calls, lets in-flight ones finish within the grace period, stops everything. */
  close(): Promise<void>;
}

/** Starts the switchboard's servers and the admin HTTP API in front of it. */
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

  const offs = [
    sb.on('server.stateChanged', (e) =>
      logger.log(e.to === 'error' ? 'error' : e.to === 'disconnected' ? 'warn' : 'info', 'server state changed', { ...e, error: e.error ? { ...e.error, message: redact(e.error.message) } : undefined }),
    ),
    sb.on('breaker.stateChanged', (e) => logger.log(e.to === 'closed' ? 'info' : 'warn', 'circuit breaker state changed', { ...e })),
    sb.on('tools.changed', (e) => logger.log('info', 'tools changed', { ...e })),
    sb.on('server.log', (e) => logger.log(toLogLevel(e.level), redact(e.message), { server: e.server, source: 'server' })),
    sb.on('call.completed', (e) => logger.log(e.ok ? 'debug' : 'warn', 'call completed', { ...e })),
    sb.on('error', (e) => logger.log('error', redact(e.error.message), { server: e.server })),
  ];

  const allowedHosts = (boundPort: number) => {
    const names = new Set([`${host}:${boundPort}`, ...(admin.allowedHosts ?? [])]);
    if (host === '127.0.0.1' || host === 'localhost') {
      names.add(`localhost:${boundPort}`);
      names.add(`127.0.0.1:${boundPort}`);
    }
    return [...names];
  };

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const boundPort = (server.address() as AddressInfo).port;
  const { app, close: closeApp } = createAdminApp(sb, {
    token,
    allowedHosts: allowedHosts(boundPort),
    redact,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    lifecycle: {
      accepting: () => accepting,
      ready: () => ready && accepting,
      begin: () => void inFlight++,
      end: () => {
        inFlight--;
        if (inFlight === 0) idle?.();
      },
    },
  });
  server.on('request', getRequestListener(app.fetch));

  let tokenFile: string | undefined;
  if (!configured) {
    tokenFile = tokenFilePath(boundPort);
    writeTokenFile(tokenFile, token);
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  logger.log('info', 'admin API listening', { url, tokenFile });
  await sb.start();
  ready = true;
  logger.log('info', 'switchboard ready', { servers: sb.listServers().map((s) => ({ name: s.name, state: s.state })) });

  let closing: Promise<void> | null = null;
  return {
    url,
    port: boundPort,
    token,
    tokenFile,
    close: () =>
      (closing ??= (async () => {
        accepting = false;
        logger.log('info', 'shutting down', { inFlight });
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.graceMs ?? 10_000);
            idle = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        closeApp();
        await sb.stop();
        for (const off of offs) off();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        logger.log('info', 'stopped');
      })()),
  };
}
