import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE } from '../helpers/switchboard.js';

/** Two real stdio servers with the demo tools (echo, add, whoami, only_<name>, …). */
const config = () =>
  writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
  other: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", other] }
`);

interface Listed {
  tools: Array<{ name: string; server: string; qualifiedName: string; description?: string; inputSchema: { properties?: Record<string, unknown> } }>;
  unavailable: unknown[];
}

/** The header and data rows of the table printed by `tools` (its rule line left out). */
function rows(stdout: string): string[][] {
  const lines = stdout.trimEnd().split('\n');
  expect(lines[1]).toMatch(/^[-\s]+$/);
  return [lines[0]!, ...lines.slice(2)].map((line) => line.trim().split(/\s{2,}/));
}

describe('switchboard tools --search', () => {
  it('prints the best matches of real servers, best first, as a table and as JSON (standalone)', async () => {
    const path = config();
    const table = await runCli(['tools', '--search', 'only other', '--config', path]);
    expect(table).toMatchObject({ code: 0 });
    const [header, first, ...rest] = rows(table.stdout);
    expect(header).toEqual(['TOOL', 'SERVER', 'QUALIFIED NAME', 'DESCRIPTION']);
    expect(first).toEqual(['only_other', 'other', 'other__only_other', 'Exists on one server only']);
    expect(rest.length).toBeLessThanOrEqual(9);
    expect(table.stderr).not.toMatch(/warning/);

    const json = await runCli(['tools', '--search', 'echo its text', '--config', path, '--server', 'files', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Listed;
    expect(listed.unavailable).toEqual([]);
    expect(listed.tools[0]).toMatchObject({ name: 'echo', server: 'files', qualifiedName: 'files__echo', description: 'Echoes its text' });
    expect(Object.keys(listed.tools[0]!.inputSchema.properties ?? {})).toEqual(['text']);
    expect(listed.tools.length).toBeGreaterThan(0);
    expect(listed.tools.length).toBeLessThanOrEqual(10);
    expect(listed.tools.every((t) => t.server === 'files')).toBe(true);

    // A misspelling still finds the tool; a query nothing matches prints no rows; a server that
    // does not exist is an error.
    const typo = JSON.parse((await runCli(['tools', '--search', 'adds numbrs', '--config', path, '--server', 'other', '--json'])).stdout) as Listed;
    expect(typo.tools[0]?.qualifiedName).toBe('other__add');
    const none = await runCli(['tools', '--search', 'zzzzqqqq', '--config', path, '--json']);
    expect(none.code).toBe(0);
    expect((JSON.parse(none.stdout) as Listed).tools).toEqual([]);
    const missing = await runCli(['tools', '--search', 'echo', '--config', path, '--server', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope/);
  });

  describe('against a running service (--url)', () => {
    let service: RunningService;
    const stateDir = mkdtempSync(join(tmpdir(), 'sb-search-state-'));
    const env = { SWITCHBOARD_STATE_DIR: stateDir, SWITCHBOARD_ADMIN_TOKEN: '' };

    beforeAll(async () => {
      service = await startService(['--config', config()], env);
    });
    afterAll(async () => {
      await service?.stop();
    });

    it('asks the service and prints its best matches the same way', async () => {
      const table = await runCli(['tools', '--search', 'only other', '--url', service.url], env);
      expect(table).toMatchObject({ code: 0 });
      const [header, first] = rows(table.stdout);
      expect(header).toEqual(['TOOL', 'SERVER', 'QUALIFIED NAME', 'DESCRIPTION']);
      expect(first).toEqual(['only_other', 'other', 'other__only_other', 'Exists on one server only']);

      const json = await runCli(['tools', '--search', 'names the server', '--url', service.url, '--server', 'files', '--json'], env);
      expect(json.code).toBe(0);
      const listed = JSON.parse(json.stdout) as Listed;
      expect(listed.unavailable).toEqual([]);
      expect(listed.tools[0]).toMatchObject({ name: 'whoami', qualifiedName: 'files__whoami' });
      expect(listed.tools.every((t) => t.server === 'files')).toBe(true);

      const denied = await runCli(['tools', '--search', 'echo', '--url', service.url, '--token', 'wrong'], env);
      expect(denied.code).toBe(1);
    });
  });
});
