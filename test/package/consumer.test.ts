import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The packed package as a strict TypeScript consumer sees it (issue 22): `npm pack` (its prepack
 * builds) in a copy of the working tree, the tarball unpacked into a scratch project's
 * node_modules, and a consumer file type-checked with this repo's tsc under `strict` plus
 * `exactOptionalPropertyTypes`, and under `strict` with `skipLibCheck: false`. Offline: the
 * package's dependencies are this repo's node_modules, linked in where npm would install them.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** What the build and `files` need; the rest of the repo (tests, benches, dist) stays out. */
const PACK_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'machines', 'config'];

/**
 * Uses the public API the way an embedder with a strict config does. Each `@ts-expect-error`
 * line must fail to compile: tsc reports an unused one, so the check cannot pass vacuously.
 */
const CONSUMER = `
import {
  AmbiguousToolError, ConfigError, createSwitchboard, isSwitchboardError, ServerUnavailableError, SwitchboardError,
  type AuthInput, type CallToolResult, type ConfigIssue, type Logger, type ServerInput, type SwitchboardInput, type SwitchboardOptions,
} from 'mcp-switchboard';
import { computeBackoffDelay, serverConnectionMachine, type BackoffPolicy } from 'mcp-switchboard/machines';

const auth: AuthInput = { type: 'client_credentials', clientId: 'agent', clientSecret: '\${CLIENT_SECRET}', scopes: ['tools'] };
const config: SwitchboardInput = {
  servers: {
    files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'], timeouts: { connectMs: 60_000 } },
    web: { url: 'https://mcp.example.com/mcp', auth },
  },
  defaults: { admission: { waitForReconnectMs: 2_000 } },
};
const maybeLogger: Logger | undefined = undefined;
const options: SwitchboardOptions = { logger: maybeLogger, clock: undefined };
const sb = createSwitchboard(config, options);

const late: ServerInput = { command: 'node', args: ['server.js'], env: { TOKEN: '\${TOKEN}' } };
sb.addServer('late', late);
sb.addServer('api', { transport: 'http', url: 'https://api.example.com/mcp', auth: { type: 'oauth', scopes: ['read'] } });
// @ts-expect-error addServer takes a server config: command is a string
sb.addServer('bad', { command: 42 });
// @ts-expect-error an auth block has one of the known types
const unknownAuth: AuthInput = { type: 'basic', user: 'me' };

export async function read(path: string, signal: AbortSignal | undefined, timeoutMs?: number): Promise<CallToolResult | number> {
  try {
    await sb.readResource('file:///' + path, { signal, timeoutMs });
    await sb.getPrompt('summarise', { path }, { signal, server: undefined });
    return await sb.callTool('files__read_file', { path }, { signal, timeoutMs, onProgress: undefined });
  } catch (e) {
    if (isSwitchboardError(e, 'AmbiguousTool')) {
      const servers: string[] = e.servers;
      const sameClass: AmbiguousToolError = e;
      return servers.length + sameClass.servers.length;
    }
    if (isSwitchboardError(e, 'AmbiguousPrompt') || isSwitchboardError(e, 'AmbiguousResource')) return e.servers.length;
    if (isSwitchboardError(e, 'ConfigError')) {
      const issues: ConfigIssue[] = e.issues;
      const sameClass: ConfigError = e;
      return issues.length + sameClass.issues.length;
    }
    if (isSwitchboardError(e, 'ServerUnavailable')) {
      const wait: number | undefined = e.retryAfterMs;
      const sameClass: ServerUnavailableError = e;
      return wait ?? sameClass.retryAfterMs ?? 0;
    }
    if (isSwitchboardError(e, 'ToolNotFound')) {
      // @ts-expect-error servers exists on the ambiguous codes only
      return e.servers;
    }
    if (isSwitchboardError(e)) {
      const base: SwitchboardError = e;
      return base.code.length;
    }
    throw e;
  }
}

const policy: BackoffPolicy = { baseMs: 100, multiplier: 2, minMs: 50, maxMs: 1_000 };
export const firstDelay: number = computeBackoffDelay(1, policy, 0.5);
export const machineId: string = serverConnectionMachine.id;
export { unknownAuth };
`;

/**
 * Known errors in other packages' own declarations, seen only with `skipLibCheck: false`: the MCP
 * SDK 1.x's `shared/transport.d.ts` names the DOM-only `HeadersInit`, missing from a Node-only
 * program (modelcontextprotocol/typescript-sdk#2568; our `AuthError` extends the SDK's
 * `UnauthorizedError`, which brings that file in); xstate's `setup.d.ts` does not compile under
 * `exactOptionalPropertyTypes`.
 */
const SDK_HEADERS_INIT = /@modelcontextprotocol\/sdk\/dist\/esm\/shared\/transport\.d\.ts\(\d+,\d+\): error TS2304: Cannot find name 'HeadersInit'\./;
const XSTATE_EXACT_OPTIONAL = /xstate\/dist\/declarations\/src\/setup\.d\.ts\(\d+,\d+\): error TS2344: /;

interface Consumer {
  /** Compiler options beside `strict` (and `lib: ['ES2023']`, `types: ['node']`). */
  options: Record<string, unknown>;
  /** Errors in other packages' declarations that are accepted, each known upstream; none by default. */
  known?: RegExp[];
}

/** The settings a strict consumer may use. */
const CONSUMERS: Record<string, Consumer> = {
  'strict with exactOptionalPropertyTypes': { options: { exactOptionalPropertyTypes: true, skipLibCheck: true } },
  'strict with skipLibCheck false': { options: { skipLibCheck: false, lib: ['ES2023', 'DOM'] } },
  // Every declaration file checked, ours included, under both settings and without the DOM lib.
  'strict with exactOptionalPropertyTypes, skipLibCheck false and no DOM lib': {
    options: { exactOptionalPropertyTypes: true, skipLibCheck: false },
    known: [SDK_HEADERS_INIT, XSTATE_EXACT_OPTIONAL],
  },
};

/** tsc's errors, one string each (its first line with the indented lines that follow it). */
function errorsOf(output: string): string[] {
  const errors: string[] = [];
  for (const line of output.split('\n')) {
    if (/^\S.*: error TS\d+/.test(line)) errors.push(line);
    else if (line.trim() && errors.length > 0) errors[errors.length - 1] += `\n${line}`;
  }
  return errors;
}

let scratch = '';
let consumer = '';

function run(command: string, args: string[], cwd: string, timeout = 180_000) {
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'switchboard-pack-'));
  const source = join(scratch, 'source');
  for (const entry of PACK_INPUTS) cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  const packed = run('npm', ['pack', '--json', '--pack-destination', scratch], source);
  if (packed.status !== 0) throw new Error(`npm pack failed (${packed.status}):\n${packed.output}`);
  const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball:\n${packed.output}`);

  consumer = join(scratch, 'consumer');
  const installed = join(consumer, 'node_modules/mcp-switchboard');
  mkdirSync(installed, { recursive: true });
  const untar = run('tar', ['-xzf', join(scratch, tarball), '-C', installed, '--strip-components=1'], scratch);
  if (untar.status !== 0) throw new Error(`tar failed:\n${untar.output}`);
  // Where npm would have put the package's dependencies, and the consumer's own @types/node.
  symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/@types'), join(consumer, 'node_modules/@types'), 'dir');
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(consumer, 'consumer.ts'), CONSUMER);
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package in a strict consumer', () => {
  it('ships the built entry points and their types, without sources or tests', () => {
    const installed = join(consumer, 'node_modules/mcp-switchboard');
    const entries = ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/machines/index.js', 'dist/machines/index.d.ts', 'dist/src/cli/main.js'];
    for (const file of entries) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
  });

  it.each(Object.entries(CONSUMERS))('type-checks under %s', (name, { options, known = [] }) => {
    const tsconfig = `tsconfig.${name.replace(/\W+/g, '-')}.json`;
    const base = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'], noEmit: true };
    const compilerOptions = { ...base, strict: true, ...options };
    writeFileSync(join(consumer, tsconfig), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2));
    const checked = run(process.execPath, [TSC, '-p', tsconfig], consumer, 120_000);
    const errors = errorsOf(checked.output);
    expect(errors.filter((error) => !known.some((k) => k.test(error)))).toEqual([]);
    if (errors.length === 0) expect(checked.status).toBe(0);
  });
});
