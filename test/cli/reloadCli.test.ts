import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startService, type RunningService } from '../helpers/service.js';

/**
 * `switchboard reload` against a real `switchboard serve` (POST /mcp/config/reload, the token
 * from the file serve wrote), after `add` and `remove` changed its config; and `call`'s output of
 * binary content.
 */

const MEDIA_SERVER = fileURLToPath(new URL('./mediaServer.mjs', import.meta.url));
const media = ['--', process.execPath, MEDIA_SERVER];

/** A port free a moment ago (serve binds it next). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const toolNames = (stdout: string) => (JSON.parse(stdout) as { tools: { qualifiedName: string }[] }).tools.map((t) => t.qualifiedName).sort();

describe('switchboard reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-reload-'));
  const config = join(dir, 'switchboard.yaml');
  const env = { SWITCHBOARD_STATE_DIR: mkdtempSync(join(tmpdir(), 'sb-state-')), SWITCHBOARD_ADMIN_TOKEN: '' };
  let service: RunningService;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(config, `# served by the test\nservers:\n  first: { command: ${process.execPath}, args: [${JSON.stringify(MEDIA_SERVER)}] }\nadmin: { port: ${port} }\n`);
    service = await startService(['--config', config, '--port', String(port)], env);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("makes a running serve start an added server and stop a removed one, found by the config's admin port and token file", async () => {
    expect(service.url).toBe(`http://127.0.0.1:${port}`);
    expect((await runCli(['add', 'second', '--config', config, ...media], env)).code).toBe(0);
    const added = await runCli(['reload', '--config', config], env);
    expect(added).toMatchObject({ code: 0, stdout: 'reloaded: added second; removed none; changed none; 1 unchanged\n' });
    expect(toolNames((await runCli(['tools', '--url', service.url, '--json'], env)).stdout)).toEqual(['first__echo', 'first__media', 'second__echo', 'second__media']);

    expect((await runCli(['remove', 'first', '--config', config], env)).code).toBe(0);
    const removed = await runCli(['reload', '--url', service.url, '--json'], env);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ added: [], removed: ['first'], changed: [], unchanged: ['second'] });
    expect(toolNames((await runCli(['tools', '--url', service.url, '--json'], env)).stdout)).toEqual(['second__echo', 'second__media']);
  });

  it('prints every problem of a config the service refuses, exits 2, and the service keeps what runs', async () => {
    writeFileSync(config, `servers:\n  second: { command: ${process.execPath}, args: [${JSON.stringify(MEDIA_SERVER)}], colour: red }\n  web: { url: "ftp://x" }\n`);
    const refused = await runCli(['reload', '--url', service.url], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('servers.second.colour');
    expect(refused.stderr).toContain('servers.web.url');
    expect(refused.stderr).toContain(`the switchboard serve at ${service.url} refused its config file; the running config is unchanged.\ninvalid config in ${config} (2 problems):`);
    expect(refused.stderr).not.toContain('the config of');
    const refusedJson = await runCli(['reload', '--url', service.url, '--json'], env);
    expect(refusedJson.code).toBe(2);
    const { error } = JSON.parse(refusedJson.stderr) as { error: { code: string; message: string; issues: { path: string }[] } };
    expect(error.code).toBe('ConfigError');
    expect(error.message).toContain('refused its config file');
    expect(error.issues.map((i) => i.path).sort()).toEqual(['servers.second.colour', 'servers.web.url']);
    expect(toolNames((await runCli(['tools', '--url', service.url, '--json'], env)).stdout)).toEqual(['second__echo', 'second__media']);
    const token = await runCli(['reload', '--url', service.url, '--token', 'wrong'], env);
    expect(token.code).toBe(1);
  });

  it("uses the config's own admin token when it sets one (serve then writes no token file)", async () => {
    const own = join(mkdtempSync(join(tmpdir(), 'sb-reload-')), 'switchboard.yaml');
    const ownPort = await freePort();
    writeFileSync(own, `servers: {}\nadmin: { port: ${ownPort}, token: "reload-test-token-0123456789" }\n`);
    const other = await startService(['--config', own, '--port', String(ownPort)], env);
    try {
      expect((await runCli(['add', 'third', '--config', own, ...media], env)).code).toBe(0);
      expect(await runCli(['reload', '--config', own], env)).toMatchObject({ code: 0, stdout: 'reloaded: added third; removed none; changed none; 0 unchanged\n' });
      expect((await runCli(['reload', '--url', other.url], env)).code).toBe(1);
    } finally {
      await other.stop();
    }
  });

  it('says so when no service answers', async () => {
    const closed = await freePort();
    const result = await runCli(['reload', '--url', `http://127.0.0.1:${closed}`], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no switchboard serve answers at http://127.0.0.1:${closed}`);
  });
});

describe('switchboard call', () => {
  it('prints images, audio and blobs as their size and type, as read does; --json keeps the whole result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-call-'));
    const config = join(dir, 'switchboard.yaml');
    writeFileSync(config, `servers:\n  m: { command: ${process.execPath}, args: [${JSON.stringify(MEDIA_SERVER)}] }\n`);
    const human = await runCli(['call', 'media', '--config', config]);
    expect(human).toMatchObject({
      code: 0,
      stdout: 'here is a picture\n<55 bytes of image/png>\n<1000 bytes of audio/wav>\nfile:///blob.bin <12 bytes of application/zip>\nembedded text\n',
    });
    const json = await runCli(['call', 'media', '--config', config, '--json']);
    const result = JSON.parse(json.stdout) as { content: { type: string; data?: string }[] };
    expect(result.content.map((c) => c.type)).toEqual(['text', 'image', 'audio', 'resource', 'resource']);
    expect(Buffer.from(result.content[1]!.data!, 'base64')).toHaveLength(55);
  });
});
