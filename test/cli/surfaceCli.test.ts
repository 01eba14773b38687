import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startService, SURFACE_FIXTURE, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE } from '../helpers/switchboard.js';

const TOKEN = 'test-admin-token-surface-cli-42';

const surfaceServers = `
  docs: { transport: stdio, command: ${process.execPath}, args: ["${SURFACE_FIXTURE}", docs] }
  notes: { transport: stdio, command: ${process.execPath}, args: ["${SURFACE_FIXTURE}", notes] }`;

const GREETING = { description: 'greeting from docs', messages: [{ role: 'user', content: { type: 'text', text: 'Hello, Ada!' } }, { role: 'assistant', content: { type: 'text', text: 'Hi from docs.' } }] };

/**
 * `resources`, `read`, `prompts` and `prompt`: the same output, JSON and exit statuses standalone
 * (the CLI starts the servers itself) and with --url (through a running serve).
 */
describe('switchboard CLI: resources and prompts', () => {
  it('prints help for each new command, and the main usage lists them', async () => {
    const commands = ['resources', 'read', 'prompts', 'prompt'];
    // Short processes that start no server: run side by side.
    const [usage, ...helps] = await Promise.all([runCli(['--help']), ...commands.map((command) => runCli([command, '--help']))]);
    commands.forEach((command, i) => {
      expect({ command, code: helps[i]!.code }).toEqual({ command, code: 0 });
      expect(helps[i]!.stdout).toMatch(new RegExp(`^Usage: switchboard ${command} .*--server S.*--url U.*--json`));
      expect(usage!.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    });
  });

  it('refuses bad command lines with exit 2 before starting anything', async () => {
    const cases: [string[], RegExp][] = [
      [['read'], /name the resource to read/],
      [['prompt'], /name the prompt to get/],
      [['prompt', 'greet', '--args', '{"who":1}'], /--args values of a prompt must be strings; "who" is 1/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli([...args, '--config', '/nonexistent.yaml'], {}, 10_000)));
    cases.forEach(([args, message], i) => {
      expect({ args, code: results[i]!.code }).toEqual({ args, code: 2 });
      expect(results[i]!.stderr).toMatch(/^usage: /);
      expect(results[i]!.stderr).toMatch(message);
    });
  });

  it('works standalone: tables, text, messages, --json and exit statuses', async () => {
    const config = writeConfig(`servers:${surfaceServers}\n`);
    // Each run starts and stops both servers; the output code is the same as --url's (below),
    // so this covers each command once, in two batches side by side.
    const run = (...args: string[]) => runCli([...args, '--config', config]);
    const [resources, readme, prompts] = await Promise.all([run('resources'), run('read', 'fixture://readme'), run('prompts', '--json')]);
    const [prompt, ambiguous, unknown] = await Promise.all([
      run('prompt', 'greet', '--server', 'docs', '--args', '{"who":"Ada"}'),
      run('prompt', 'greet', '--args', '{"who":"Ada"}'),
      run('prompts', '--server', 'nope'),
    ]);

    expect(resources.code).toBe(0);
    expect(resources.stdout).toMatch(/^URI\s+SERVER\s+NAME\s+MIME$/m);
    expect(resources.stdout).toMatch(/^fixture:\/\/readme\s+docs\s+readme\s+text\/markdown$/m);
    expect(resources.stdout).toMatch(/^fixture:\/\/shared\s+notes\s+shared\s+text\/plain$/m);
    expect(resources.stdout).toMatch(/^Templates .*\nURI TEMPLATE\s+SERVER\s+NAME\s+MIME\n[- ]+\nitem:\/\/\{id\}\s+docs\s+item\s+application\/json$/m);
    expect(readme).toEqual({ code: 0, stdout: '# Fixture\nhello\n', stderr: '' });
    expect(prompts.code).toBe(0);
    expect(JSON.parse(prompts.stdout)).toEqual({
      prompts: expect.arrayContaining([{ name: 'greet', server: 'notes', qualifiedName: 'notes__greet', title: 'Greeting', description: 'Greets someone', arguments: [{ name: 'who', required: true }], available: true }]),
      unavailable: [],
    });
    expect(prompt).toEqual({ code: 0, stdout: 'user: Hello, Ada!\nassistant: Hi from docs.\n', stderr: '' });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^AmbiguousPrompt: prompt "greet" exists on servers/);
    expect(unknown).toMatchObject({ code: 1, stderr: 'ServerNotFound: no server named "nope"\n' });
  });

  describe('against a running service (--url)', () => {
    let service: RunningService;
    const env = { SWITCHBOARD_ADMIN_TOKEN: TOKEN };
    const run = (...args: string[]) => runCli([...args, '--url', service.url], env);

    beforeAll(async () => {
      const config = writeConfig(`
servers:${surfaceServers}
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
  broken: { transport: stdio, command: /nonexistent/mcp-server }
admin: { token: "${TOKEN}" }
`);
      service = await startService(['--config', config]);
    });
    afterAll(async () => {
      await service?.stop();
    });

    it('lists resources, templates and prompts, naming unconnected servers', async () => {
      const resources = await run('resources');
      expect(resources.code).toBe(0);
      expect(resources.stdout).toMatch(/^fixture:\/\/logo\s+docs\s+logo\s+image\/png$/m);
      expect(resources.stdout).toMatch(/^item:\/\/\{id\}\s+docs\s+item\s+application\/json$/m);
      expect(resources.stderr).toMatch(/^warning: server "broken" is not connected \(error, ENOENT: command not found: \/nonexistent\/mcp-server\); its resources cannot be read now$/m);
      const json = JSON.parse((await run('resources', '--json', '--server', 'docs')).stdout) as { resources: { uri: string }[]; resourceTemplates: { uriTemplate: string }[]; unavailable: unknown[] };
      expect(json.resources.map((r) => r.uri)).toEqual(['fixture://shared', 'fixture://readme', 'fixture://logo']);
      expect(json.resourceTemplates.map((t) => t.uriTemplate)).toEqual(['item://{id}']);
      expect(json.unavailable).toEqual([]);
      const prompts = await run('prompts');
      expect(prompts.stdout).toMatch(/^wait\s+docs\s+docs__wait\s+ms\s+Answers after ms milliseconds$/m);
      expect(prompts.stderr).toMatch(/warning: server "broken" is not connected .*; its prompts cannot be got now/);
      const listed = JSON.parse((await run('prompts', '--json')).stdout) as { prompts: { qualifiedName: string; available: boolean }[]; unavailable: { server: string }[] };
      expect(listed.prompts.map((p) => `${p.qualifiedName} ${p.available}`).sort()).toEqual(['docs__greet true', 'docs__wait true', 'notes__greet true']);
      expect(listed.unavailable.map((u) => u.server)).toEqual(['broken']);
      expect(await run('resources', '--server', 'nope')).toMatchObject({ code: 1, stderr: 'ServerNotFound: no server named "nope"\n' });
    });

    it('reads resources and gets prompts through the routes', async () => {
      expect(await run('read', 'fixture://readme')).toEqual({ code: 0, stdout: '# Fixture\nhello\n', stderr: '' });
      expect(await run('read', 'item://apple')).toMatchObject({ code: 0, stdout: '{"id":"apple"}\n' });
      expect(await run('read', 'fixture://logo')).toEqual({ code: 0, stdout: '<8 bytes of image/png>\n', stderr: '' });
      expect(JSON.parse((await run('read', 'fixture://logo', '--json')).stdout)).toEqual({ contents: [{ uri: 'fixture://logo', mimeType: 'image/png', blob: 'iVBORw0KGgo=' }] });
      expect(await run('prompt', 'docs__greet', '--args', '{"who":"Ada"}')).toEqual({ code: 0, stdout: 'user: Hello, Ada!\nassistant: Hi from docs.\n', stderr: '' });
      expect(JSON.parse((await run('prompt', 'greet', '--server', 'docs', '--args', '{"who":"Ada"}', '--json')).stdout)).toEqual(GREETING);
      expect(JSON.parse((await run('read', 'fixture://shared', '--server', 'notes', '--json')).stdout)).toEqual({ contents: [{ uri: 'fixture://shared', mimeType: 'text/plain', text: 'shared by notes' }] });
    });

    it('exits 1 with the error code for every failure the API reports', async () => {
      // The route tests cover every status; here each kind of failure once: a routing error, a
      // capability error and a deadline, all exit 1 with the code first on stderr.
      const cases: [string[], string][] = [
        [['prompt', 'greet', '--args', '{"who":"x"}'], 'AmbiguousPrompt'],
        [['read', 'fixture://nope'], 'ResourceNotFound'],
        [['prompt', 'docs__wait', '--args', '{"ms":"3000"}', '--timeout', '200'], 'ToolCallTimeout'],
      ];
      for (const [args, code] of cases) {
        const result = await run(...args);
        expect({ args, code: result.code, stderr: result.stderr.split(':')[0] }).toEqual({ args, code: 1, stderr: code });
      }
      const json = await run('read', 'fixture://x', '--server', 'files', '--json');
      expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'NotSupported', message: expect.stringContaining('files') } });
      const denied = await runCli(['prompts', '--url', service.url, '--token', 'wrong'], env);
      expect(denied).toMatchObject({ code: 1, stderr: expect.stringMatching(/^Unauthorized: /) });
    });
  });
});
