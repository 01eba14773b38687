#!/usr/bin/env node
/**
 * The client the conformance suite runs: `node test/conformance/client.mjs [--set legacy|modern]
 * <server-url>` (the suite appends the URL to the command run.mjs gives it), with the scenario's
 * name in MCP_CONFORMANCE_SCENARIO, optional data in MCP_CONFORMANCE_CONTEXT (JSON) and the wire
 * the run is scored at in MCP_CONFORMANCE_PROTOCOL_VERSION (diagnostics only: the entry's config
 * decides the era, as a user's would).
 *
 * It imports the library from the built package entry (dist/src/index.js, what
 * `import 'mcp-switchboard'` resolves to) and runs the scenario's entry of the set (default
 * `legacy`) from scenarios.mjs (adapter.mjs). Exit 0 when every step worked; the suite's own
 * checks decide whether the scenario passed. Diagnostics go to stderr (the suite keeps them in
 * stderr.txt).
 */
import { createSwitchboard } from '../../dist/src/index.js';
import { runEntry } from './adapter.mjs';
import { findScenario } from './scenarios.mjs';

const write = (line) => process.stderr.write(`[adapter] ${line}\n`);

async function main() {
  const args = process.argv.slice(2);
  const setAt = args.indexOf('--set');
  const set = setAt === -1 ? 'legacy' : args[setAt + 1];
  const url = args.at(-1);
  const name = process.env.MCP_CONFORMANCE_SCENARIO;
  if (!url || !name || url === set || url === '--set') throw new Error('usage: MCP_CONFORMANCE_SCENARIO=<name> node test/conformance/client.mjs [--set legacy|modern] <server-url>');
  const entry = findScenario(name, set);
  if (!entry) throw new Error(`no entry for scenario "${name}" in the ${set} set (test/conformance/scenarios.mjs)`);
  write(`set ${set}, scored at ${process.env.MCP_CONFORMANCE_PROTOCOL_VERSION ?? '(not given)'}`);
  return runEntry(createSwitchboard, entry, url, { write });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    write(`failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
