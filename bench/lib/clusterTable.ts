/**
 * The cluster row's table (DESIGN §9.5; measured by bench/lib/clusterRow.ts): the switchboard
 * with a `cluster:` block on a live Redis against the same switchboard without one, and the Redis
 * commands the cluster target caused, per 100 calls.
 */
import { median, medianInterval, summary, type Result, type Round } from './summary.js';
import { ratioText, type Measured } from './tables.js';

/** The cluster row's target and its baseline (bench/lib/plan.ts `CLUSTER_TARGETS`). */
export const CLUSTER_TARGET = 'switchboard-cluster';
export const CLUSTER_BASELINE = 'switchboard';

/** DESIGN §9.5's budget. */
export const CLUSTER_BUDGET = { p50Us: 5, cpuRatio: 0.05, commandsPer100: 1 };

/** What one cell of the row measured of Redis: commands per 100 calls, raw and net of the background, and the background rate. */
export function redisTraffic(rounds: Round[], size: number): { rawPer100: number; netPer100: number; backgroundPerSec: number } | undefined {
  const windows = rounds.map((r) => r.results[CLUSTER_TARGET]).filter((r): r is Result => !!r && !('error' in r) && typeof r.redisCommands === 'number');
  if (windows.length === 0) return undefined;
  // The last window's rate is over the whole cell's idle time: the best estimate, used for every window.
  const rates = windows.map((w) => w.redisBackgroundPerSec).filter((v): v is number => typeof v === 'number');
  const backgroundPerSec = rates.length ? rates[rates.length - 1]! : 0;
  const raw = windows.reduce((sum, w) => sum + (w.redisCommands as number), 0);
  const ms = windows.reduce((sum, w) => sum + (w.windowMs as number), 0);
  const calls = windows.length * size;
  return { rawPer100: (raw / calls) * 100, netPer100: (Math.max(0, raw - (backgroundPerSec * ms) / 1000) / calls) * 100, backgroundPerSec };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toFixed(digits));

/**
 * Whether a cost stays within `limit`: `yes` when the whole 95 % interval of the median is within,
 * `no` when all of it is beyond, otherwise `not resolved` (more rounds needed). One-sided (a
 * ratio: costing less passes) or `twoSided` (a latency difference: a cluster cannot make a call
 * faster, so a difference far below zero is noise, not a pass). Without an interval (under 6
 * rounds) the median alone decides, and says so.
 */
export function verdict(value: number | undefined, interval: number | undefined, limit: number, twoSided = false): string {
  if (value === undefined) return '–';
  if (interval === undefined) {
    if (value > limit) return '**no** (median only)';
    return twoSided && value < -limit ? 'not resolved (median only, far below zero: noise)' : 'yes (median only)';
  }
  if ((twoSided ? Math.abs(value) : value) + interval <= limit) return 'yes';
  if (value - interval > limit) return '**no**';
  return `not resolved (±${interval.toFixed(interval < 1 ? 3 : 1)})`;
}

/**
 * The cluster row's table: per transport, both targets' client CPU per call (64 in flight) and
 * the cluster target's ratio to the switchboard without a cluster, throughput, sequential p50 and
 * the median of the per-round p50 differences, Redis commands per 100 calls (raw, and net of the
 * background traffic), and a verdict per §9.5 budget. The commands budget is judged on net:
 * heartbeats and leases are background traffic, not per-call (DESIGN §16).
 */
export function clusterTable(measured: Measured[]): string[] {
  const cells = measured.filter((m) => m.cell.workload === 'cluster-seq' || m.cell.workload === 'cluster-conc');
  if (cells.length === 0) return [];
  const lines = [
    '### Cluster row (DESIGN §9.5): the switchboard with `cluster:` on a live Redis vs without, legacy era',
    '',
    '| cluster row | target | CPU µs/call (64 in flight) | × no cluster | calls/s, 64 in flight | × no cluster | seq p50 µs | p50 − no cluster µs | Redis cmds / 100 calls, 64 in flight: raw / net | seq: raw / net |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const verdicts = ['| §9.5 budget | transport | measured | holds |', '| --- | --- | --- | --- |'];
  const notes: string[] = [];
  for (const { cell, rounds } of cells) {
    const failed = rounds.map((r) => r.results[CLUSTER_TARGET]).find((r): r is { error: string } => !!r && 'error' in r);
    if (failed) notes.push(`${cell.workload} ${cell.transport}: failed: ${failed.error.slice(0, 200)}`);
  }
  for (const transport of ['memory', 'http'] as const) {
    const conc = cells.find((m) => m.cell.workload === 'cluster-conc' && m.cell.transport === transport);
    const seq = cells.find((m) => m.cell.workload === 'cluster-seq' && m.cell.transport === transport);
    if (!conc || !seq) continue;
    const p50Diffs = seq.rounds
      .map((r) => [r.results[CLUSTER_TARGET] as Result | undefined, r.results[CLUSTER_BASELINE] as Result | undefined] as const)
      .filter((p): p is readonly [Result, Result] => typeof p[0]?.p50Us === 'number' && typeof p[1]?.p50Us === 'number')
      .map(([c, b]) => (c.p50Us as number) - (b.p50Us as number));
    const p50Diff = p50Diffs.length ? median(p50Diffs) : undefined;
    const p50Interval = medianInterval(p50Diffs);
    const concTraffic = redisTraffic(conc.rounds, conc.cell.size);
    const seqTraffic = redisTraffic(seq.rounds, seq.cell.size);
    const per100 = (t: ReturnType<typeof redisTraffic>) => (t ? `${t.rawPer100.toFixed(3)} / ${t.netPer100.toFixed(3)}` : '–');
    for (const target of conc.cell.targets) {
      const cpu = summary(conc.rounds, target, 'cpuUsPerCall', CLUSTER_BASELINE);
      const tput = summary(conc.rounds, target, 'callsPerSec', CLUSTER_BASELINE);
      const p50 = summary(seq.rounds, target, 'p50Us', CLUSTER_BASELINE);
      const isCluster = target === CLUSTER_TARGET;
      const label = isCluster ? 'switchboard + cluster' : 'switchboard (no cluster)';
      const diff = isCluster ? `${fmt(p50Diff, 1)}${p50Interval === undefined ? '' : ` ±${p50Interval.toFixed(1)}`}` : '0';
      lines.push(
        `| ${transport} | ${label} | ${fmt(cpu.value)} | ${ratioText(cpu)} | ${fmt(tput.value)} | ${ratioText(tput)} | ${fmt(p50.value)} | ${diff} | ${isCluster ? per100(concTraffic) : '–'} | ${isCluster ? per100(seqTraffic) : '–'} |`,
      );
      if (!isCluster) continue;
      const cpuExtra = cpu.ratio === undefined ? undefined : cpu.ratio - 1;
      verdicts.push(`| p50 − no cluster ≤ ${CLUSTER_BUDGET.p50Us} µs | ${transport} | ${diff} µs | ${verdict(p50Diff, p50Interval, CLUSTER_BUDGET.p50Us, true)} |`);
      verdicts.push(`| CPU per call ≤ 1 + ${CLUSTER_BUDGET.cpuRatio}× | ${transport} | ${ratioText(cpu)} | ${verdict(cpuExtra, cpu.interval, CLUSTER_BUDGET.cpuRatio)} |`);
      const net = concTraffic && seqTraffic ? Math.max(concTraffic.netPer100, seqTraffic.netPer100) : undefined;
      verdicts.push(`| Redis commands per 100 calls (net) ≤ ${CLUSTER_BUDGET.commandsPer100} | ${transport} | ${fmt(net, 3)} | ${verdict(net, 0, CLUSTER_BUDGET.commandsPer100)} |`);
      if (concTraffic) notes.push(`${transport}: background traffic while the cluster target sat idle between its windows: ${concTraffic.backgroundPerSec.toFixed(1)} commands/s (heartbeats, the replica list, the health leader's lease; commands inside a script count one each)`);
    }
  }
  return [
    ...lines,
    '',
    ...verdicts,
    '',
    '- p50 difference: median of the per-round differences, ± half its 95 % interval (over HTTP a sequential p50 moves by hundreds of µs between windows: the 5 µs budget is resolvable in memory only); ratios: median of the per-round ratios to the switchboard without a cluster. "not resolved": the interval straddles the budget (more rounds needed).',
    '- Redis commands: `total_commands_processed` around each of the cluster target\'s windows (raw), minus the background rate times the windows\' length (net; DESIGN §16: heartbeats and leases are background, not per-call).',
    ...notes.map((n) => `- ${n}`),
  ];
}
