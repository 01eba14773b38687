/**
 * Soak test: `npm run soak -- --minutes N`. Runs calls against several real servers (two stdio
 * child processes, a streamable-HTTP and a legacy SSE server on 127.0.0.1) while killing and
 * restarting them at random, then prints calls made, succeeded, failed with a typed error, hung
 * (must be 0) and leaked processes (must be 0). Exits 1 when either is not 0.
 */
import { parseArgs } from 'node:util';
import { createSwitchboard, isSwitchboardError } from '../src/index.js';
import { startSseServer, startStreamableHttpServer, type TestHttpServer } from '../test/helpers/httpServers.js';
import { isAlive, waitGone } from '../test/helpers/processes.js';
import { STDIO_FIXTURE } from '../test/helpers/switchboard.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '1' }, workers: { type: 'string', default: '16' }, seed: { type: 'string' } } });
const durationMs = Number(values.minutes) * 60_000;
const workers = Number(values.workers);
const CALL_TIMEOUT_MS = 2_000;
/** A call that has not settled this long after its deadline counts as hung. */
const HANG_GRACE_MS = 5_000;

let state = Number(values.seed ?? Date.now()) >>> 0;
const random = () => {
  state = (state * 1664525 + 1013904223) >>> 0;
  return state / 2 ** 32;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  let web: TestHttpServer = await startStreamableHttpServer('web');
  let legacy: TestHttpServer = await startSseServer('legacy');
  const stdio = (name: string) => ({ transport: 'stdio' as const, command: process.execPath, args: [STDIO_FIXTURE, name] });
  const sb = createSwitchboard({
    servers: {
      alpha: stdio('alpha'),
      beta: stdio('beta'),
      web: { transport: 'http', url: web.url },
      legacy: { transport: 'sse', url: legacy.url },
    },
    defaults: {
      timeouts: { callMs: CALL_TIMEOUT_MS, connectMs: 5_000, shutdownMs: 2_000 },
      reconnect: { baseMs: 100, minMs: 50, maxMs: 1_000, restartIntensity: 1_000 },
      breaker: { waitDurationInOpenMs: 1_000, maxWaitDurationInOpenMs: 5_000 },
      health: { intervalMs: 1_000, timeoutMs: 500 },
    },
  });
  await sb.start();

  const pids = new Set<number>();
  const collectPids = () => {
    for (const name of ['alpha', 'beta']) for (const m of (sb.getServer(name)?.stderrTail ?? '').matchAll(/pid (\d+) up/g)) pids.add(Number(m[1]));
  };
  const counts = { made: 0, succeeded: 0, toolErrors: 0, hung: 0, untyped: 0 };
  const failures: Record<string, number> = {};
  const deadline = Date.now() + durationMs;
  const chaos: Record<string, number> = { killStdio: 0, restartHttp: 0, restartSse: 0, dropSessions: 0 };

  const worker = async () => {
    while (Date.now() < deadline) {
      const server = pick(['alpha', 'beta', 'web', 'legacy']);
      const [tool, args] = pick([
        ['echo', { text: 'soak' }],
        ['add', { a: 1, b: 2 }],
        ['fail', {}],
        ['slow', { ms: 50 }],
        ['whoami', {}],
      ] as const);
      counts.made++;
      let watchdog: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (watchdog = setTimeout(() => resolve('hung'), CALL_TIMEOUT_MS + HANG_GRACE_MS)));
      const outcome = await Promise.race([sb.callTool(tool, args, { server }).then((r) => (r.isError ? 'toolError' : 'ok'), (e: unknown) => e), hung]);
      clearTimeout(watchdog);
      if (outcome === 'ok') counts.succeeded++;
      else if (outcome === 'toolError') counts.toolErrors++;
      else if (outcome === 'hung') counts.hung++;
      else if (isSwitchboardError(outcome)) failures[outcome.code] = (failures[outcome.code] ?? 0) + 1;
      else counts.untyped++;
      if (!isSwitchboardError(outcome) || !['ServerUnavailable', 'CircuitOpen'].includes(outcome.code)) continue;
      await sleep(20);
    }
  };

  const monkey = async () => {
    while (Date.now() < deadline) {
      await sleep(1_000 + random() * 2_000);
      if (Date.now() >= deadline) break;
      collectPids();
      const action = pick(['killStdio', 'restartHttp', 'restartSse', 'dropSessions'] as const);
      chaos[action]!++;
      if (action === 'killStdio') {
        const name = pick(['alpha', 'beta']);
        const last = [...(sb.getServer(name)?.stderrTail ?? '').matchAll(/pid (\d+) up/g)].at(-1);
        if (last) {
          try {
            process.kill(-Number(last[1]), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      } else if (action === 'restartHttp') {
        const port = web.port;
        await web.close();
        await sleep(random() * 500);
        web = await startStreamableHttpServer('web', port);
      } else if (action === 'restartSse') {
        const port = legacy.port;
        await legacy.close();
        await sleep(random() * 500);
        legacy = await startSseServer('legacy', port);
      } else {
        web.dropSessions();
        legacy.dropSessions();
      }
    }
  };

  const started = Date.now();
  await Promise.all([...Array.from({ length: workers }, worker), monkey()]);
  collectPids();
  await sb.stop();
  await web.close();
  await legacy.close();
  let leaked = 0;
  for (const pid of pids) if (!(await waitGone(pid, 3_000)) && isAlive(pid)) leaked++;

  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  const report = {
    minutes: Number(((Date.now() - started) / 60_000).toFixed(2)),
    calls: counts.made,
    succeeded: counts.succeeded,
    toolErrors: counts.toolErrors,
    failedTyped: failed,
    failuresByCode: failures,
    untyped: counts.untyped,
    hung: counts.hung,
    processesStarted: pids.size,
    leakedProcesses: leaked,
    chaos,
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(`calls ${report.calls}, succeeded ${report.succeeded + report.toolErrors}, failed typed ${failed}, untyped ${report.untyped}, hung ${report.hung}, leaked processes ${leaked}`);
  return report.hung === 0 && leaked === 0 && report.untyped === 0 ? 0 : 1;
}

process.exitCode = await main();
