#!/usr/bin/env node
/**
 * The client the conformance suite runs: `node test/conformance/client.mjs <server-url>`, with the
 * scenario's name in MCP_CONFORMANCE_SCENARIO and optional data in MCP_CONFORMANCE_CONTEXT (JSON).
 *
 * It imports the library from the built package entry (dist/src/index.js, what
 * `import 'mcp-switchboard'` resolves to) and runs the scenario's entry from scenarios.mjs
 * (adapter.mjs). Exit 0 when every step worked; the suite's own checks decide whether the
 * scenario passed. Diagnostics go to stderr (the suite keeps them in stderr.txt).
 */
import { createSwitchboard } from '../../dist/src/index.js';
import { runEntry } from './adapter.mjs';
import { findScenario } from './scenarios.mjs';

const write = (line) => process.stderr.write(`[adapter] ${line}\n`);

async function main() {
  const url = process.argv[2];
  const name = process.env.MCP_CONFORMANCE_SCENARIO;
  if (!url || !name) throw new Error('usage: MCP_CONFORMANCE_SCENARIO=<name> node test/conformance/client.mjs <server-url>');
  const entry = findScenario(name);
  if (!entry) throw new Error(`no entry for scenario "${name}" in test/conformance/scenarios.mjs`);
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
