import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS: the runner's modules run under plain node, without a TypeScript loader
import { compareWithRequired, requiredClientScenarios } from './requirements.mjs';
// @ts-expect-error plain JS, as above
import { findScenario, scenarios, sets } from './scenarios.mjs';

/**
 * The two conformance sets as data (no suite needed): the legacy set as it was, the modern one
 * the 32 client scenarios the 2026-07-28 requirements of the prerelease suite name. run.mjs
 * compares the modern set with the installed suite's requirements file before every run.
 */

const RUN = fileURLToPath(new URL('./run.mjs', import.meta.url));

/** run.mjs with `args`: only its argument checks, which come before any install or build. */
function runUsage(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stderr: result.stderr };
}

interface Entry {
  name: string;
  required?: boolean;
  server?: Record<string, unknown>;
}

/** The `client` list of the prerelease's requirements/2026-07-28.yaml (0.2.0-alpha.12). */
const REQUIRED_2026_07_28 = [
  'tools_call',
  'request-metadata',
  ...['metadata-default', 'metadata-var1', 'metadata-var2', 'metadata-var3', 'basic-cimd'].map((n) => `auth/${n}`),
  ...['scope-from-www-authenticate', 'scope-from-scopes-supported', 'scope-omitted-when-undefined', 'scope-step-up', 'scope-retry-limit'].map((n) => `auth/${n}`),
  ...['token-endpoint-auth-basic', 'token-endpoint-auth-post', 'token-endpoint-auth-none', 'pre-registration', 'resource-mismatch'].map((n) => `auth/${n}`),
  ...['offline-access-scope', 'offline-access-not-supported', 'authorization-server-migration'].map((n) => `auth/${n}`),
  ...['iss-supported', 'iss-not-advertised', 'iss-supported-missing', 'iss-wrong-issuer', 'iss-unexpected', 'iss-normalized', 'metadata-issuer-mismatch'].map((n) => `auth/${n}`),
  'sep-2322-client-request-state',
  'http-standard-headers',
  'http-custom-headers',
  'http-invalid-tool-headers',
  'json-schema-ref-no-deref',
];

describe('conformance sets', () => {
  it('keeps the legacy set as it was: 26 scenarios, the default of findScenario', () => {
    const legacy = sets.legacy as Entry[];
    expect(legacy).toBe(scenarios);
    expect(legacy).toHaveLength(26);
    expect(findScenario('sse-retry')).toBe(findScenario('sse-retry', 'legacy'));
    // No legacy entry pins an era: the product default applies, as for a user.
    expect(legacy.filter((e) => e.server?.protocol !== undefined)).toEqual([]);
  });

  it('holds the 32 required 2026-07-28 client scenarios in the modern set, all required, all under protocol auto', () => {
    const modern = sets.modern as Entry[];
    expect(compareWithRequired(modern.map((e) => e.name), REQUIRED_2026_07_28)).toEqual({ missing: [], extra: [] });
    expect(new Set(modern.map((e) => e.name)).size).toBe(32);
    expect(modern.filter((e) => e.name.startsWith('auth/'))).toHaveLength(25);
    expect(modern.every((e) => e.required !== false)).toBe(true);
    expect(modern.map((e) => e.server?.protocol)).toEqual(modern.map(() => 'auto'));
  });

  it('finds an entry by set and name: the sets share names, not entries', () => {
    expect(findScenario('tools_call', 'modern')).not.toBe(findScenario('tools_call', 'legacy'));
    expect(findScenario('request-metadata', 'modern')).toBeDefined();
    expect(findScenario('request-metadata')).toBeUndefined();
    expect(findScenario('tools_call', 'nope')).toBeUndefined();
    expect(findScenario('tools_call', '__proto__')).toBeUndefined();
  });

  it('reads the client list of a requirements file and names what a set misses or adds', () => {
    const yaml = ['# frozen', 'server:', '  - server-stateless', 'client:', '  - tools_call', '  - auth/iss-supported', 'not_scored:', '  extension: []', ''].join('\n');
    expect(requiredClientScenarios(yaml)).toEqual(['tools_call', 'auth/iss-supported']);
    expect(requiredClientScenarios('server:\n  - a\n')).toEqual([]);
    expect(() => requiredClientScenarios('client: tools_call\n')).toThrow(/not a list/);
    expect(compareWithRequired(['tools_call', 'extra-one'], ['tools_call', 'auth/iss-supported'])).toEqual({ missing: ['auth/iss-supported'], extra: ['extra-one'] });
  });

  it('refuses an unknown set, and a scenario the picked set does not have, as usage errors', () => {
    const badSet = runUsage(['--set', 'bogus']);
    expect(badSet.status).toBe(2);
    expect(badSet.stderr).toContain('no such set: bogus (legacy, modern or all)');
    const notInSet = runUsage(['--set', 'legacy', '--scenario', 'request-metadata']);
    expect(notInSet.status).toBe(2);
    expect(notInSet.stderr).toContain('no such scenario in the legacy set (scenarios.mjs): request-metadata');
  });
});
