#!/usr/bin/env node
/**
 * `npm run conformance`: the official MCP conformance suite against the switchboard's client.
 *
 *   node test/conformance/run.mjs [--scenario NAME]... [--report FILE]
 *
 * 1. Installs test/conformance's own tree (the suite and the Node 22 it needs) when missing or
 *    older than its lockfile: `npm ci --prefix test/conformance`. It stays out of the root
 *    install, whose `.bin/node` would otherwise shadow the system Node in every npm script.
 * 2. Builds the library (`npm run build`) when a file under src/ or machines/ is newer than
 *    dist/src/index.js: the adapter imports the built package entry.
 * 3. Runs each scenario of scenarios.mjs (or the named ones) one at a time (the sse-retry check
 *    measures a 500 ms reconnect delay: no parallel load) with the suite's CLI on Node 22; the
 *    suite spawns `<this node> test/conformance/client.mjs <url>`, so the library runs on the
 *    project's own Node.
 * 4. Prints one row per scenario; `--report FILE` also writes them as JSON (.ci/run counts them).
 * Exits 1 when a required scenario fails, 2 on a usage error.
 */
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarios } from './scenarios.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const SUITE_NODE = join(HERE, 'node_modules/node/bin/node');
const SUITE_PACKAGE = join(HERE, 'node_modules/@modelcontextprotocol/conformance/package.json');
/** The suite kills a client after this long; our own bound on one scenario is twice that. */
const CLIENT_TIMEOUT_MS = 30_000;

function parseArgs(argv) {
  const args = { only: [], report: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '--scenario' || arg === '--report') && argv[i + 1] === undefined) usage(`${arg} needs a value`);
    if (arg === '--scenario') args.only.push(argv[++i]);
    else if (arg === '--report') args.report = resolve(argv[++i]);
    else usage(`unknown argument: ${arg}`);
  }
  const unknown = args.only.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) usage(`no such scenario in scenarios.mjs: ${unknown.join(', ')}`);
  return args;
}

function usage(problem) {
  process.stderr.write(`${problem}\nusage: node test/conformance/run.mjs [--scenario NAME]... [--report FILE]\n`);
  process.exit(2);
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time of any file under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, mtime(join(entry.parentPath ?? entry.path, entry.name)));
  }
  return latest;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

function ensureSuite() {
  const lock = JSON.parse(readFileSync(join(HERE, 'package-lock.json'), 'utf8'));
  const pinned = lock.packages['node_modules/@modelcontextprotocol/conformance']?.version;
  const installed = existsSync(SUITE_PACKAGE) ? JSON.parse(readFileSync(SUITE_PACKAGE, 'utf8')).version : undefined;
  // npm ci writes node_modules/.package-lock.json: older than the lockfile means a stale tree.
  const fresh = mtime(join(HERE, 'node_modules/.package-lock.json')) >= mtime(join(HERE, 'package-lock.json'));
  if (installed === pinned && existsSync(SUITE_NODE) && fresh) return;
  process.stderr.write(`installing the conformance suite ${pinned} and Node 22 into test/conformance (once)...\n`);
  const status = run('npm', ['ci', '--prefix', relative(ROOT, HERE), '--no-audit', '--no-fund', '--loglevel=error']);
  if (status !== 0 || !existsSync(SUITE_NODE)) throw new Error(`npm ci --prefix test/conformance failed (exit ${status})`);
}

function ensureBuilt() {
  const entry = join(ROOT, 'dist/src/index.js');
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'machines')), mtime(join(ROOT, 'tsconfig.json')), mtime(join(ROOT, 'tsconfig.build.json')));
  if (existsSync(entry) && mtime(entry) >= sources) return;
  process.stderr.write('dist/ is older than the sources: npm run build\n');
  // Like test/globalSetup.ts: type errors still emit (npm test reports them); no output at all fails.
  const status = run('npm', ['run', 'build', '--silent']);
  if (!existsSync(entry)) throw new Error(`npm run build produced no dist/src/index.js (exit ${status})`);
}

/** Every checks.json under `dir` (the suite writes results/<scenario>-<time>/checks.json). */
function readChecks(dir) {
  const checks = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === 'checks.json') checks.push(...JSON.parse(readFileSync(join(entry.parentPath ?? entry.path, entry.name), 'utf8')));
  }
  return checks;
}

/** Runs one scenario through the suite's CLI; resolves with its row. */
function runScenario(scenario, clientCommand) {
  const out = mkdtempSync(join(tmpdir(), 'switchboard-conformance-'));
  const cli = join(dirname(SUITE_PACKAGE), 'dist/index.js');
  const args = [cli, 'client', '--command', clientCommand, '--scenario', scenario.name, '--timeout', String(CLIENT_TIMEOUT_MS), '-o', out];
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const child = spawn(SUITE_NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS * 2);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      let checks = [];
      try {
        checks = readChecks(out);
      } catch (error) {
        output += `\n(could not read checks.json: ${error.message})`;
      }
      rmSync(out, { recursive: true, force: true });
      const count = (status) => checks.filter((c) => c.status === status).length;
      resolvePromise({
        name: scenario.name,
        required: scenario.required !== false,
        // The suite's own verdict: no failed or warning check, the client exited 0, no timeout.
        ok: code === 0,
        exit: signal ?? code,
        success: count('SUCCESS'),
        failure: count('FAILURE'),
        warning: count('WARNING'),
        ms: Math.round(performance.now() - started),
        failedChecks: checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`),
        output,
      });
    });
  });
}

function printTable(rows) {
  const width = Math.max(8, ...rows.map((r) => r.name.length));
  const line = (cells) => `${cells[0].padEnd(width)}  ${cells[1].padEnd(6)}  ${cells[2].padStart(6)}  ${cells[3].padStart(6)}  ${cells[4].padStart(8)}  ${cells[5].padStart(7)}`;
  console.log(line(['scenario', 'result', 'passed', 'failed', 'warnings', 'ms']));
  for (const r of rows) {
    const result = r.ok ? 'pass' : r.required ? 'FAIL' : 'fail*';
    console.log(line([r.name, result, String(r.success), String(r.failure), String(r.warning), String(r.ms)]));
  }
  if (rows.some((r) => !r.ok && !r.required)) console.log('* not required: does not fail the run');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const selected = args.only.length > 0 ? scenarios.filter((s) => args.only.includes(s.name)) : scenarios;
  ensureSuite();
  ensureBuilt();
  // The suite splits --command on spaces and runs it in a shell, from ROOT.
  const node = /\s/.test(process.execPath) ? 'node' : process.execPath;
  const clientCommand = `${node} ${relative(ROOT, join(HERE, 'client.mjs'))}`;
  const rows = [];
  for (const scenario of selected) {
    const row = await runScenario(scenario, clientCommand);
    rows.push(row);
    if (!row.ok) {
      console.log(`--- ${row.name} failed (suite exit ${row.exit}):`);
      for (const check of row.failedChecks) console.log(`  ${check}`);
      // The suite colours its output; the log keeps plain text.
      const plain = row.output.replace(/\x1b\[[0-9;]*m/g, '').trim();
      console.log(plain.split('\n').slice(-40).map((l) => `  | ${l}`).join('\n'));
    }
  }
  printTable(rows);
  const failed = rows.filter((r) => !r.ok && r.required).length;
  const passed = rows.filter((r) => r.ok).length;
  console.log(`conformance: ${passed} of ${rows.length} scenarios passed`);
  if (args.report) {
    const scenarioRows = rows.map(({ output: _output, ...row }) => row);
    writeFileSync(args.report, `${JSON.stringify({ passed, failed, scenarios: scenarioRows }, null, 2)}\n`);
  }
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`conformance: ${error.message}\n`);
    process.exit(1);
  },
);
