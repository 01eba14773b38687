import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/service.js';

/**
 * A profile that names a server the config does not have (a typo, or a server taken out with
 * `switchboard remove`) would leave its hosts with zero tools and nothing said: it is a
 * ConfigError at gateway.profiles.<p>.servers.<i>, from `validate` and from the edit that would
 * cause it (found by issue 22's review).
 */

const run = (args: string[], cwd: string) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, HOME: cwd } });

describe('a profile naming an unknown server, from the CLI', () => {
  it('is reported by validate (an issue or a warning naming the profile)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r22-profile-'));
    const file = join(dir, 'sb.yaml');
    writeFileSync(file, `servers:\n  files: { command: node, args: ["-e", "0"] }\ngateway:\n  profiles:\n    dev: { servers: [fils] }\n`);
    const out = run(['validate', '--config', file, '--json'], dir);
    const report = JSON.parse(out.stdout) as { valid: boolean; warnings?: unknown[]; issues?: unknown[] };
    expect(report.valid).toBe(false);
    expect(report.issues).toEqual([{ path: 'gateway.profiles.dev.servers.0', message: 'no server named "fils" in servers (did you mean "files"?)' }]);
  });

  it('is reported when `remove` takes out a server a profile names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r22-profile-'));
    const file = join(dir, 'sb.yaml');
    writeFileSync(file, `servers:\n  a: { command: node, args: ["-e", "0"] }\n  b: { command: node, args: ["-e", "0"] }\ngateway:\n  profiles:\n    onlya: { servers: [a] }\n`);
    const out = run(['remove', 'a', '--config', file], dir);
    // Refused, naming the profile; the file is untouched.
    expect(out.status).toBe(2);
    expect(out.stdout + out.stderr).toMatch(/gateway\.profiles\.onlya\.servers\.0/);
  });
});
