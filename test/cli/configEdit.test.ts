import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/cli/atomicWrite.js';
import { runCli } from '../helpers/service.js';

/**
 * `switchboard add` and `remove` as a user runs them: the built CLI on real files in a temp
 * folder. Every comparison is of the whole text, so a reformatted line, a lost comment or a
 * moved key fails the test.
 */

const folder = () => mkdtempSync(join(tmpdir(), 'sb-edit-'));

const YAML = `# My switchboard
servers:
  # the notes server
  notes:
    transport: stdio
    command: node               # aligned comment
    args: ["notes.js", "--dir", "~/notes"]

  web: {transport: http, url: "https://example.com/mcp"}   # tight flow

defaults:
  timeouts: { connectMs: 20000 }   # padded flow
`;

const FILES_ENTRY = `
  files:
    transport: stdio
    command: node
    args: [files.js, --root, /tmp/my files]
`;

const API_ENTRY = `
  api:
    transport: http
    url: https://api.example.com/mcp
    headers:
      Authorization: Bearer \${API_TOKEN:-none}
`;

/** Writes `text` as `name` in a fresh folder; returns the path. */
function file(name: string, text: string): string {
  const path = join(folder(), name);
  writeFileSync(path, text);
  return path;
}

describe('switchboard add and remove', () => {
  it('adds and removes servers keeping every comment, blank line and layout of a YAML config', async () => {
    const path = file('switchboard.yaml', YAML);
    const add = await runCli(['add', 'files', '--config', path, '--', 'node', 'files.js', '--root', '/tmp/my files']);
    expect(add).toMatchObject({ code: 0 });
    expect(add.stdout).toContain('added server "files" (stdio, node)');
    const [head, tail] = YAML.split('\ndefaults:');
    expect(readFileSync(path, 'utf8')).toBe(`${head}${FILES_ENTRY}\ndefaults:${tail}`);

    expect((await runCli(['add', 'api', '--config', path, '--url', 'https://api.example.com/mcp', '--header', 'Authorization=Bearer ${API_TOKEN:-none}'])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`${head}${FILES_ENTRY}${API_ENTRY}\ndefaults:${tail}`);

    // The entry's own comment goes with it; everything else stays.
    expect((await runCli(['remove', 'notes', '--config', path])).code).toBe(0);
    const withoutNotes = YAML.replace(/  # the notes server\n  notes:\n(    .*\n)+\n/, '');
    expect(withoutNotes).not.toContain('notes');
    expect(readFileSync(path, 'utf8')).toBe(`${withoutNotes.split('\ndefaults:')[0]}${FILES_ENTRY}${API_ENTRY}\ndefaults:${tail}`);

    // Added and removed again: byte for byte where it began.
    expect((await runCli(['remove', 'files', '--config', path])).code).toBe(0);
    expect((await runCli(['remove', 'api', '--config', path])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(withoutNotes);
    expect(await runCli(['validate', '--config', path])).toMatchObject({ code: 0, stdout: expect.stringContaining('valid, 1 server') });
  });

  it('edits an mcpServers JSON file as text: other keys, their order and the layout stay', async () => {
    const json = `{
    "mcpServers": {
        "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] }
    },
    "gateway": { "initialWaitMs": 5000 },
    "globalShortcut": "Ctrl+Space"
}
`;
    const path = file('claude_desktop_config.json', json);
    expect((await runCli(['add', 'search', '--config', path, '--url', 'http://127.0.0.1:9/sse', '--transport', 'sse'])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`{
    "mcpServers": {
        "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
        "search": {
            "type": "sse",
            "url": "http://127.0.0.1:9/sse"
        }
    },
    "gateway": { "initialWaitMs": 5000 },
    "globalShortcut": "Ctrl+Space"
}
`);
    expect((await runCli(['remove', 'search', '--config', path])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(json);
  });

  it('creates a missing config file, mode 0600, in our format', async () => {
    const path = join(folder(), 'new', 'switchboard.json');
    const add = await runCli(['add', 'files', '--config', path, '--', 'node', 'files.js']);
    expect(add).toMatchObject({ code: 0, stdout: expect.stringContaining('(new file)') });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ servers: { files: { transport: 'stdio', command: 'node', args: ['files.js'] } } });
    expect(statSync(path).mode & 0o777).toBe(0o600);

    // A file's empty `servers: {}` becomes a block; the comment on its line stays.
    const empty = file('switchboard.yaml', '# mine\nservers: {}   # none yet\nadmin: { port: 7301 }\n');
    expect((await runCli(['add', 'files', '--config', empty, '--', 'node', 'files.js'])).code).toBe(0);
    expect(readFileSync(empty, 'utf8')).toBe('# mine\nservers:   # none yet\n  files:\n    transport: stdio\n    command: node\n    args: [ files.js ]\nadmin: { port: 7301 }\n');
  });

  it('refuses a bad add with the key path and writes nothing', async () => {
    const path = file('switchboard.yaml', YAML);
    const before = statSync(path);
    const bad = await runCli(['add', 'ftp', '--config', path, '--url', 'ftp://files.example.com/']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('servers.ftp.url: must be an http:// or https:// URL');
    expect(bad.stderr).toContain('nothing was written');

    const taken = await runCli(['add', 'notes', '--config', path, '--', 'node', 'other.js']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('server "notes" already exists');
    const badName = await runCli(['add', 'a__b', '--config', path, '--', 'node', 'x.js']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('must not contain "__"');
    const noCommand = await runCli(['add', 'x', '--config', path]);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toMatch(/usage: give the server's command after --/);
    const unknown = await runCli(['remove', 'nope', '--config', path]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ServerNotFound: no server named "nope"');

    const after = statSync(path);
    expect(readFileSync(path, 'utf8')).toBe(YAML);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readdirSync(join(path, '..'))).toEqual(['switchboard.yaml']);

    // --force replaces the entry where it stands.
    expect((await runCli(['add', 'notes', '--force', '--config', path, '--', 'node', 'other.js'])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(YAML.replace(/  notes:\n(    .*\n)+/, '  notes:\n    transport: stdio\n    command: node\n    args: [other.js]\n'));
  });

  it('writes header and env values as given and never prints them', async () => {
    const path = file('switchboard.yaml', 'servers: {}\n');
    const secret = 'sk-live-4f9a8b7c6d5e';
    const outputs = [
      await runCli(['add', 'api', '--config', path, '--url', 'https://api.example.com/mcp', '--header', `Authorization=Bearer ${secret}`]),
      await runCli(['add', 'gh', '--config', path, '--json', '--env', `GITHUB_TOKEN=${secret}x`, '--', 'npx', '-y', 'server-github']),
      await runCli(['add', 'api', '--config', path, '--url', 'https://api.example.com/mcp', '--header', `X-Key=${secret}`]),
      await runCli(['add', 'bad', '--config', path, '--url', 'ftp://x', '--header', `X-Key=${secret}`]),
    ];
    expect(outputs.map((o) => o.code)).toEqual([0, 0, 2, 2]);
    for (const { stdout, stderr } of outputs) expect(stdout + stderr).not.toContain(secret);
    const written = readFileSync(path, 'utf8');
    expect(written).toContain(`Authorization: Bearer ${secret}`);
    expect(written).toContain(`GITHUB_TOKEN: ${secret}x`);
  });

  it('replaces the file through a temp file renamed over it, keeping its mode and leaving nothing behind', async () => {
    const path = file('switchboard.yaml', YAML);
    chmodSync(path, 0o640);
    const before = statSync(path);
    expect((await runCli(['add', 'files', '--config', path, '--', 'node', 'files.js'])).code).toBe(0);
    const after = statSync(path);
    // A new inode: the file was replaced by a rename, not rewritten in place (where a crash halfway leaves half a file).
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
    expect(readdirSync(join(path, '..'))).toEqual(['switchboard.yaml']);
  });

  it('loses no server when several adds run at once', async () => {
    const path = file('switchboard.yaml', YAML);
    const names = Array.from({ length: 6 }, (_, i) => `s${i}`);
    const results = await Promise.all(names.map((name) => runCli(['add', name, '--config', path, '--', 'node', `${name}.js`])));
    expect(results.map((r) => r.code)).toEqual(names.map(() => 0));
    const listed = await runCli(['validate', '--config', path, '--json']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(listed.stdout) as { servers: { name: string }[] }).servers.map((s) => s.name).sort()).toEqual(['notes', ...names, 'web'].sort());
    expect(readFileSync(path, 'utf8').startsWith(YAML.split('\ndefaults:')[0]!)).toBe(true);
    expect(readdirSync(join(path, '..'))).toEqual(['switchboard.yaml']);
  });
});

describe('writeFileAtomic', () => {
  it('keeps the old file whole until the rename, and removes the temp file when the write fails', () => {
    const path = file('config.yaml', 'old: true\n');
    let seen: { target: string; temp: string } | undefined;
    writeFileAtomic(path, 'new: true\n', {
      beforeRename: (temp) => {
        seen = { target: readFileSync(path, 'utf8'), temp: readFileSync(temp, 'utf8') };
      },
    });
    expect(seen).toEqual({ target: 'old: true\n', temp: 'new: true\n' });
    expect(readFileSync(path, 'utf8')).toBe('new: true\n');

    expect(() =>
      writeFileAtomic(path, 'half', {
        beforeRename: () => {
          throw new Error('crash before the rename');
        },
      }),
    ).toThrow('crash before the rename');
    expect(readFileSync(path, 'utf8')).toBe('new: true\n');
    expect(readdirSync(join(path, '..'))).toEqual(['config.yaml']);
  });
});
