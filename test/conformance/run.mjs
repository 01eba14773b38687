#!/usr/bin/env node
/**
 * `npm run conformance`: the official MCP conformance suite against the switchboard's client.
 *
 *   node test/conformance/run.mjs [--set legacy|modern|all] [--scenario NAME]... [--report FILE]
 *
 * Two sets of scenarios (scenarios.mjs), each on its own install of the suite:
 * - `legacy`: the 0.1.16 suite (test/conformance), the 2025-11-25 wire;
 * - `modern`: the prerelease 0.2.0-alpha.12 (test/conformance/modern), the 32 client scenarios
 *   2026-07-28 requires, run with `--spec-version 2026-07-28`.
 * `--set` picks one (default `all`: both, legacy first); `--scenario` names scenarios of the
 * picked sets (a name both sets have runs in both).
 *
 * 1. Installs each picked set's tree when missing or older than its lockfile (`npm ci --prefix
 *    test/conformance[/modern]`), out of the root install, whose `.bin/node` would otherwise
 *    shadow the system Node in every npm script. The Node 22 the suite needs comes with the
 *    legacy tree; the modern tree runs on that same binary, so it is always installed.
 * 2. Builds the library (`npm run build`) when a file under src/ or machines/ is newer than
 *    dist/src/index.js: the adapter imports the built package entry.
 * 3. Runs each scenario one at a time (the sse-retry check measures a 500 ms reconnect delay:
 *    no parallel load) with its set's suite CLI on Node 22; the suite spawns `<this node>
 *    test/conformance/client.mjs --set <set> <url>`, so the library runs on the project's own Node.
 * 4. Prints one row per scenario and set; `--report FILE` also writes them as JSON with the
 *    totals per set (.ci/run counts them).
 * Exits 1 when a required scenario fails, 2 on a usage error.
 */
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithRequired, requiredClientScenarios } from './requirements.mjs';
import { sets } from './scenarios.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
/** The Node 22 the suite needs: installed with the legacy tree, used by both. */
const SUITE_NODE = join(HERE, 'node_modules/node/bin/node');
/**
 * Where each set's suite is installed and how its CLI is told the wire: the modern set runs at
 * 2026-07-28 (`--spec-version`; the suite then hands the client MCP_CONFORMANCE_PROTOCOL_VERSION).
 */
const SUITES = {
  legacy: { dir: HERE, args: [] },
  modern: { dir: join(HERE, 'modern'), args: ['--spec-version', '2026-07-28'], requirements: '2026-07-28' },
};
const SET_NAMES = Object.keys(SUITES);
/** The suite kills a client after this long; our own bound on one scenario is twice that. */
const CLIENT_TIMEOUT_MS = 30_000;

function parseArgs(argv) {
  const args = { only: [], report: undefined, set: 'all' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '--scenario' || arg === '--report' || arg === '--set') && argv[i + 1] === undefined) usage(`${arg} needs a value`);
    if (arg === '--scenario') args.only.push(argv[++i]);
    else if (arg === '--report') args.report = resolve(argv[++i]);
    else if (arg === '--set') args.set = argv[++i];
    else usage(`unknown argument: ${arg}`);
  }
  if (args.set !== 'all' && !SET_NAMES.includes(args.set)) usage(`no such set: ${args.set} (legacy, modern or all)`);
  args.sets = args.set === 'all' ? SET_NAMES : [args.set];
  const unknown = args.only.filter((name) => !args.sets.some((set) => sets[set].some((s) => s.name === name)));
  if (unknown.length > 0) usage(`no such scenario in the ${args.sets.join(' or ')} set (scenarios.mjs): ${unknown.join(', ')}`);
  return args;
}

function usage(problem) {
  process.stderr.write(`${problem}\nusage: node test/conformance/run.mjs [--set legacy|modern|all] [--scenario NAME]... [--report FILE]\n`);
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

/** The conformance package.json under a set's tree. */
function suitePackage(set) {
  return join(SUITES[set].dir, 'node_modules/@modelcontextprotocol/conformance/package.json');
}

/** Installs `set`'s tree unless the installed suite is the locked one and the tree is fresh. */
function ensureSuite(set) {
  const dir = SUITES[set].dir;
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const pinned = lock.packages['node_modules/@modelcontextprotocol/conformance']?.version;
  const installed = existsSync(suitePackage(set)) ? JSON.parse(readFileSync(suitePackage(set), 'utf8')).version : undefined;
  // npm ci writes node_modules/.package-lock.json: older than the lockfile means a stale tree.
  const fresh = mtime(join(dir, 'node_modules/.package-lock.json')) >= mtime(join(dir, 'package-lock.json'));
  const nodeReady = set !== 'legacy' || existsSync(SUITE_NODE);
  if (installed === pinned && nodeReady && fresh) return;
  const prefix = relative(ROOT, dir);
  process.stderr.write(`installing the conformance suite ${pinned}${set === 'legacy' ? ' and Node 22' : ''} into ${prefix} (once)...\n`);
  const status = run('npm', ['ci', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error']);
  if (status !== 0 || !existsSync(suitePackage(set)) || (set === 'legacy' && !existsSync(SUITE_NODE))) throw new Error(`npm ci --prefix ${prefix} failed (exit ${status})`);
}

/**
 * A set measured against a revision must hold exactly the client scenarios the installed suite
 * says that revision requires (its frozen requirements file): else the count would be wrong.
 */
function checkRequirements(set) {
  const { requirements } = SUITES[set];
  if (!requirements) return;
  const file = join(dirname(suitePackage(set)), 'requirements', `${requirements}.yaml`);
  const { missing, extra } = compareWithRequired(sets[set].map((s) => s.name), requiredClientScenarios(readFileSync(file, 'utf8')));
  if (missing.length + extra.length === 0) return;
  const problems = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `not required ${extra.join(', ')}` : ''].filter(Boolean);
  throw new Error(`the ${set} set does not match the client scenarios ${requirements} requires (${relative(ROOT, file)}): ${problems.join('; ')}`);
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

/**
 * One failed or warning check as a line: its id, message and (bounded) details, which hold what
 * the client sent (headers, `_meta`, parameters) and so tell a library fix where to look.
 */
function describeCheck(check) {
  const details = check.details === undefined ? '' : JSON.stringify(check.details);
  const shown = details.length > 600 ? `${details.slice(0, 600)}...` : details;
  return `${check.status} ${check.id}: ${check.errorMessage ?? check.description}${shown ? ` ${shown}` : ''}`;
}

/** Runs one scenario of `set` through that set's suite CLI; resolves with its row. */
function runScenario(set, scenario, clientCommand) {
  const out = mkdtempSync(join(tmpdir(), 'switchboard-conformance-'));
  const cli = join(dirname(suitePackage(set)), 'dist/index.js');
  const args = [cli, 'client', '--command', `${clientCommand} --set ${set}`, '--scenario', scenario.name, ...SUITES[set].args, '--timeout', String(CLIENT_TIMEOUT_MS), '-o', out];
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
        set,
        name: scenario.name,
        required: scenario.required !== false,
        // The suite's own verdict: no failed or warning check, the client exited 0, no timeout.
        ok: code === 0,
        exit: signal ?? code,
        success: count('SUCCESS'),
        failure: count('FAILURE'),
        warning: count('WARNING'),
        ms: Math.round(performance.now() - started),
        failedChecks: checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map(describeCheck),
        output,
      });
    });
  });
}

function printTable(rows) {
  const width = Math.max(8, ...rows.map((r) => r.name.length));
  const line = (cells) =>
    `${cells[0].padEnd(6)}  ${cells[1].padEnd(width)}  ${cells[2].padEnd(6)}  ${cells[3].padStart(6)}  ${cells[4].padStart(6)}  ${cells[5].padStart(8)}  ${cells[6].padStart(7)}`;
  console.log(line(['set', 'scenario', 'result', 'passed', 'failed', 'warnings', 'ms']));
  for (const r of rows) {
    const result = r.ok ? 'pass' : r.required ? 'FAIL' : 'fail*';
    console.log(line([r.set, r.name, result, String(r.success), String(r.failure), String(r.warning), String(r.ms)]));
  }
  if (rows.some((r) => !r.ok && !r.required)) console.log('* not required: does not fail the run');
}

/** Passed (every scenario that passed) and failed (every required one that did not) in `rows`. */
function totals(rows) {
  return { passed: rows.filter((r) => r.ok).length, failed: rows.filter((r) => !r.ok && r.required).length, total: rows.length };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // The legacy tree carries the Node 22 every set runs on.
  for (const set of new Set(['legacy', ...args.sets])) ensureSuite(set);
  for (const set of args.sets) checkRequirements(set);
  ensureBuilt();
  // The suite splits --command on spaces and runs it in a shell, from ROOT.
  const node = /\s/.test(process.execPath) ? 'node' : process.execPath;
  const clientCommand = `${node} ${relative(ROOT, join(HERE, 'client.mjs'))}`;
  const rows = [];
  for (const set of args.sets) {
    const selected = args.only.length > 0 ? sets[set].filter((s) => args.only.includes(s.name)) : sets[set];
    for (const scenario of selected) {
      const row = await runScenario(set, scenario, clientCommand);
      rows.push(row);
      if (!row.ok) {
        console.log(`--- ${set} ${row.name} failed (suite exit ${row.exit}):`);
        for (const check of row.failedChecks) console.log(`  ${check}`);
        // The suite colours its output; the log keeps plain text.
        const plain = row.output.replace(/\x1b\[[0-9;]*m/g, '').trim();
        console.log(plain.split('\n').slice(-40).map((l) => `  | ${l}`).join('\n'));
      }
    }
  }
  printTable(rows);
  const { passed, failed } = totals(rows);
  const perSet = Object.fromEntries(args.sets.map((set) => [set, totals(rows.filter((r) => r.set === set))]));
  console.log(`conformance: ${passed} of ${rows.length} scenarios passed (${args.sets.map((set) => `${set} ${perSet[set].passed} of ${perSet[set].total}`).join(', ')})`);
  if (args.report) {
    const scenarioRows = rows.map(({ output: _output, ...row }) => row);
    writeFileSync(args.report, `${JSON.stringify({ passed, failed, sets: perSet, scenarios: scenarioRows }, null, 2)}\n`);
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
