import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { FAST, until } from '../helpers/switchboard.js';

/** R3-4 probe: a ${VAR} secret never shows in lastError, logs, events of a modern-era server. */

const LEAK = fileURLToPath(new URL('./leakServer.mjs', import.meta.url));
const SECRET = 'sk-r3-very-secret-0123456789';
let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

function open(mode: string, protocol = 'auto') {
  const seen: string[] = [];
  sb = createSwitchboard(
    {
      servers: { leak: { transport: 'stdio', command: process.execPath, args: [LEAK, mode], env: { R3_TOKEN: '${R3_SECRET}' }, protocol, reconnect: { maxAttempts: 2 }, limits: { maxMessageBytes: 65536 } } as never },
      defaults: { ...FAST, timeouts: { ...FAST.timeouts, callMs: 5000 } } as never,
    },
    { env: { ...process.env, R3_SECRET: SECRET }, logger: { log: (level: string, message: string, fields?: unknown) => seen.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) } } as never,
  );
  for (const type of ['server.stateChanged', 'server.log', 'call.completed', 'error', 'tools.changed', 'breaker.stateChanged'] as const) sb.on(type, (e: unknown) => seen.push(JSON.stringify(e)));
  return { sb, seen };
}

const everything = (sb: Switchboard, seen: string[]) => [...seen, JSON.stringify(sb.listServers()), JSON.stringify(sb.getServer('leak'))].join('\n');

describe('secrets of a modern-era stdio server', () => {
  it('a server that prints its token on stderr then dies on server/discover: the warning quotes stderr masked', async () => {
    const { sb, seen } = open('die-on-discover');
    await sb.start();
    await until(() => seen.some((l) => l.includes('broke on server/discover')), 10_000, 'the warning');
    const all = everything(sb, seen);
    expect(all).toContain('was refused by upstream');
    expect(all).not.toContain(SECRET);
  });

  it.each(['garbage-on-discover', 'not-rpc-on-discover', 'huge-on-discover'])('a server answering server/discover with a line holding the token: %s', async (mode) => {
    const { sb, seen } = open(mode);
    await sb.start();
    await until(() => seen.some((l) => l.includes('server/discover')), 10_000, 'a warning');
    await new Promise((r) => setTimeout(r, 300));
    expect(everything(sb, seen)).not.toContain(SECRET);
  });

  it.each(['garbage', 'not-rpc', 'error', 'log', 'stderr'])('a modern server leaking through %s', async (how) => {
    const { sb, seen } = open('modern');
    await sb.start();
    expect(sb.getServer('leak')!.protocol).toMatchObject({ era: 'modern' });
    const outcome = await sb.callTool('leak', { how }).then((r) => JSON.stringify(r), (e: Error) => `${e.message} ${JSON.stringify(e)} ${String((e as { cause?: unknown }).cause)}`);
    await new Promise((r) => setTimeout(r, 200));
    const all = everything(sb, seen) + outcome;
    expect(all).not.toContain(SECRET);
  });

  it.each(['auto', '2026-07-28'])('a server whose refusals of discover and initialize quote the token (%s)', async (protocol) => {
    const { sb, seen } = open('refuse-discover', protocol);
    await sb.start();
    await until(() => sb.getServer('leak')!.lastError !== null, 10_000, 'an error');
    expect(everything(sb, seen)).not.toContain(SECRET);
  });
});
