import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { browserCommand } from '../../src/cli/loginCommand.js';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from '../auth/servers.js';

/** `switchboard login <server>` run as users run it: the built CLI, a real authorization server and a protected MCP server. */

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
let as: TestAuthServer | undefined;
let rs: TestResourceServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await rs?.close();
  await as?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI; when it prints the authorization URL, approves it the way a browser would (follows the redirects to the loopback listener). */
function login(args: string[], state: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'login', ...args, '--no-browser'], { env: { ...process.env, SWITCHBOARD_STATE_DIR: state } });
    let stdout = '';
    let stderr = '';
    let approved = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', async (d) => {
      stderr += d;
      const url = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stderr)?.[1];
      if (!url || approved) return;
      approved = true;
      // The test authorization server approves at once and redirects to the loopback listener.
      let next: string | null = url;
      for (let hop = 0; next && hop < 5; hop++) {
        const response: Response = await fetch(next, { redirect: 'manual' });
        next = response.headers.get('location');
      }
    });
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('switchboard login', () => {
  it('authorizes a server from a terminal, stores its tokens 0600, and knows when it is already authorized', async () => {
    as = await startAuthServer();
    rs = await startResourceServer(as, { authServer: () => as!.url });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-login-'));
    const config = join(dir, 'switchboard.yaml');
    writeFileSync(config, `servers:\n  guarded: { transport: http, url: "${rs.url}", auth: { type: oauth } }\n`);
    const first = await login(['guarded', '--config', config], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Open this URL to authorize "guarded"');
    const stored = /tokens stored in (\S+\.json)/.exec(first.stdout)?.[1];
    expect(stored).toBeDefined();
    expect(statSync(stored!).mode & 0o777).toBe(0o600);
    // No token of the flow is printed.
    for (const token of as.tokens.keys()) expect(first.stdout + first.stderr).not.toContain(token);
    const again = await login(['guarded', '--config', config], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already authorized');
    expect(as.authorizeRequests).toHaveLength(1);
  });

  it('exits 1 for a server it does not know and 2 without a server name', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-login-'));
    const config = join(dir, 'switchboard.yaml');
    writeFileSync(config, 'servers:\n  plain: { transport: http, url: "http://127.0.0.1:9/mcp" }\n');
    expect((await login(['nope', '--config', config], dir)).code).toBe(1);
    expect((await login(['--config', config], dir)).code).toBe(2);
    expect((await login(['plain', '--config', config], dir)).code).toBe(1);
  });
});

/** Runs the CLI without --no-browser, with `bin` first on PATH (a fake xdg-open/open that records what it is asked to open). */
function loginWithBrowser(args: string[], state: string, bin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'login', ...args], { env: { ...process.env, SWITCHBOARD_STATE_DIR: state, PATH: `${bin}:${process.env.PATH ?? ''}`, DISPLAY: ':0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('switchboard login under a hostile authorization server', () => {
  it.each(['file:///etc/passwd', 'x-evil-handler://run?cmd=calc'])('refuses an authorization_endpoint of %s: nothing is opened or printed, exit 1', async (endpoint) => {
    as = await startAuthServer({ metadata: (m) => ({ ...m, authorization_endpoint: endpoint }) });
    rs = await startResourceServer(as, { authServer: () => as!.url });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-login-'));
    const bin = join(dir, 'bin');
    const opened = join(dir, 'opened.txt');
    mkdirSync(bin);
    for (const opener of ['xdg-open', 'open']) {
      writeFileSync(join(bin, opener), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${opened}'\n`);
      chmodSync(join(bin, opener), 0o755);
    }
    const config = join(dir, 'switchboard.yaml');
    writeFileSync(config, `servers:\n  guarded: { transport: http, url: "${rs.url}", auth: { type: oauth }, timeouts: { connectMs: 500 } }\n`);
    const result = await loginWithBrowser(['guarded', '--config', config], dir, bin);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('server "guarded": refused the authorization URL');
    expect(result.stderr).not.toContain('Open this URL');
    expect(existsSync(opened)).toBe(false);
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('browserCommand', () => {
  it('opens only http(s) URLs, as one argument to one program, with no shell on any platform', () => {
    for (const bad of ['file:///etc/passwd', 'x-evil-handler://run', 'javascript:alert(1)', 'data:text/html,x', 'not a url']) {
      for (const platform of ['linux', 'darwin', 'win32'] as const) expect(browserCommand(bad, platform), `${bad} on ${platform}`).toBeUndefined();
    }
    const url = 'https://as.example.com/authorize?a=1&b=two words&c="q"';
    const href = new URL(url).href;
    expect(browserCommand(url, 'linux')).toEqual({ command: 'xdg-open', args: [href] });
    expect(browserCommand(url, 'darwin')).toEqual({ command: 'open', args: [href] });
    // Not `cmd /c start`: cmd would run whatever follows an & in the query.
    expect(browserCommand(url, 'win32')).toEqual({ command: 'rundll32', args: ['url.dll,FileProtocolHandler', href] });
    expect(href).not.toMatch(/[ "]/);
  });
});
