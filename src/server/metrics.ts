import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Switchboard } from '../switchboard/switchboard.js';

const SERVER_STATES = ['disconnected', 'connecting', 'connected', 'error', 'disabled'] as const;
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Prometheus metrics of one switchboard: request counters (by kind) and durations fed by `call.completed`,
 * and state gauges read from the servers' snapshots at scrape time.
 */
export function createMetrics(sb: Switchboard): { registry: Registry; close(): void } {
  const registry = new Registry();
  // `kind` tells tool calls from resource reads, prompts, completions, logging and subscriptions.
  const calls = new Counter({ name: 'switchboard_calls_total', help: 'Requests (tool calls and the other kinds) by server, outcome code and kind', labelNames: ['server', 'code', 'kind'], registers: [registry] });
  const duration = new Histogram({
    name: 'switchboard_call_duration_seconds',
    help: 'Request duration, from the call to settlement',
    labelNames: ['server'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'switchboard_server_state',
    help: 'Connection state of each server (1 for the current state)',
    labelNames: ['server', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const server of sb.listServers()) for (const state of SERVER_STATES) this.set({ server: server.name, state }, server.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_breaker_state',
    help: 'Circuit-breaker state of each server (1 for the current state)',
    labelNames: ['server', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const server of sb.listServers()) {
        if (!server.breaker) continue;
        for (const state of BREAKER_STATES) this.set({ server: server.name, state }, server.breaker.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'switchboard_server_reconnects',
    help: 'Successful reconnects of each server since start',
    labelNames: ['server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const server of sb.listServers()) this.set({ server: server.name }, server.reconnects);
    },
  });
  new Gauge({
    name: 'switchboard_tools',
    help: 'Tools listed by each server',
    labelNames: ['server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const server of sb.listServers()) this.set({ server: server.name }, server.toolsCount);
    },
  });
  // The cluster (DESIGN §16), when configured: read at scrape time from what this replica knows.
  const cluster = sb.cluster;
  if (cluster) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
    gauge('switchboard_cluster_up', 'Whether this replica reaches the cluster\'s Redis (1) or serves on local state (0)', () => (cluster.up ? 1 : 0));
    gauge('switchboard_cluster_replicas', 'Live replicas of the cluster this replica sees by heartbeat', () => cluster.status().replicas.length);
    gauge('switchboard_cluster_is_leader', 'Whether this replica is the health leader (1) or not (0)', () => (cluster.isLeader ? 1 : 0));
    new Counter({
      name: 'switchboard_cluster_redis_errors_total',
      help: 'Redis commands of this replica that failed (Redis down, a command past its timeout)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cluster.redisErrors);
      },
    });
    new Counter({
      name: 'switchboard_cluster_breaker_updates_total',
      help: 'Shared breaker transitions: published by this replica, applied from others, ignored (stale or unreadable), failed writes',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        const stats = sb.clusterActivity?.breakers;
        if (!stats) return;
        this.inc({ kind: 'published' }, stats.published);
        this.inc({ kind: 'applied' }, stats.applied);
        this.inc({ kind: 'ignored' }, stats.stale + stats.ignored);
        this.inc({ kind: 'failed' }, stats.failures);
      },
    });
    new Counter({
      name: 'switchboard_cluster_health_checks_total',
      help: "Periodic health checks of this replica: taken from the leader's results, pinged here, results published as leader",
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        const health = sb.clusterActivity?.health;
        if (!health) return;
        this.inc({ source: 'leader' }, health.taken);
        this.inc({ source: 'local' }, health.probed);
        this.inc({ source: 'published' }, health.published);
      },
    });
  }
  const off = sb.on('call.completed', (event) => {
    const code = event.ok ? (event.isError ? 'tool_error' : 'ok') : (event.errorCode ?? 'error');
    calls.inc({ server: event.server, code, kind: event.kind });
    duration.observe({ server: event.server }, event.durationMs / 1000);
  });
  return { registry, close: off };
}
