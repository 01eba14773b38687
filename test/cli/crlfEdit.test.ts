import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addServerEntry, removeServerEntry } from '../../src/cli/configEdit.js';
import { HOSTS, writeHostEntry } from '../../src/cli/hostConfig.js';
import { setYamlEntry } from '../../src/cli/yamlEdit.js';
import { CLI } from '../helpers/service.js';

/**
 * Edits keep the file's line endings (issue 22, item 6): a file written with CRLF (on Windows,
 * often with a byte-order mark) gets its new lines with CRLF too, in YAML, in JSON and in a host's
 * file; `client connect` creating a host file writes it indented; an entry added under a
 * `servers:` that holds only a comment goes after that comment.
 */

const folder = () => mkdtempSync(join(tmpdir(), 'sb-crlf-'));
const BOM = '\uFEFF';
/** Lines that end with a bare LF (the last, unterminated piece is not a line). */
const bareLf = (text: string) => text.split('\n').slice(0, -1).filter((line) => !line.endsWith('\r'));
const stdio = () => ({ transport: 'stdio', command: 'node', args: ['-e', '0'] });
const launch = { command: '/usr/bin/node', args: ['/opt/sb/dist/src/cli/main.js', 'gateway', '--config', '/home/u/sb.yaml'] };

describe('edits keep CRLF line endings', () => {
  it('add (the built CLI) keeps CRLF line endings in a CRLF YAML file', () => {
    const dir = folder();
    const file = join(dir, 'sb.yaml');
    writeFileSync(file, '# top\r\nservers:\r\n  alpha: { command: node, args: ["-e", "0"] }  # trailing\r\ngateway: { initialWaitMs: 1000 }\r\n');
    const out = spawnSync(process.execPath, [CLI, 'add', 'beta', '--config', file, '--', 'node', '-e', '0'], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(out.status).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe('# top\r\nservers:\r\n  alpha: { command: node, args: ["-e", "0"] }  # trailing\r\n  beta: { transport: stdio, command: node, args: [ -e, "0" ] }\r\ngateway: { initialWaitMs: 1000 }\r\n');
    expect(bareLf(text)).toEqual([]);
  });

  it('add and remove keep the BOM and CRLF of a YAML file, block style', async () => {
    const path = join(folder(), 'sb.yaml');
    const original = `${BOM}# mine\r\nservers:\r\n  alpha:\r\n    command: node\r\n\r\nadmin: { port: 7301 }\r\n`;
    writeFileSync(path, original);
    await addServerEntry(path, 'beta', stdio);
    const added = readFileSync(path, 'utf8');
    expect(added).toBe(`${BOM}# mine\r\nservers:\r\n  alpha:\r\n    command: node\r\n  beta:\r\n    transport: stdio\r\n    command: node\r\n    args: [ -e, "0" ]\r\n\r\nadmin: { port: 7301 }\r\n`);
    await removeServerEntry(path, 'beta');
    expect(readFileSync(path, 'utf8')).toBe(original);
  });

  it('add and remove keep the BOM and CRLF of a JSON (mcpServers) file', async () => {
    const path = join(folder(), 'mcp.json');
    const original = `${BOM}{\r\n  "mcpServers": {\r\n    "alpha": { "command": "node" }\r\n  }\r\n}\r\n`;
    writeFileSync(path, original);
    await addServerEntry(path, 'beta', () => ({ command: 'node', args: ['-e', '0'] }));
    const added = readFileSync(path, 'utf8');
    expect(added.startsWith(`${BOM}{\r\n  "mcpServers": {\r\n    "alpha": { "command": "node" },\r\n    "beta": {\r\n      "command": "node",\r\n`)).toBe(true);
    expect(bareLf(added)).toEqual([]);
    await removeServerEntry(path, 'beta');
    expect(readFileSync(path, 'utf8')).toBe(original);
  });

  it('client connect keeps CRLF in a host file', async () => {
    const path = join(folder(), 'claude_desktop_config.json');
    writeFileSync(path, '{\r\n  "mcpServers": {},\r\n  "globalShortcut": "Ctrl+Space"\r\n}\r\n');
    expect(await writeHostEntry(HOSTS.claude, path, 'switchboard', launch)).toEqual({ updated: false });
    const text = readFileSync(path, 'utf8');
    expect(JSON.parse(text)).toEqual({ mcpServers: { switchboard: launch }, globalShortcut: 'Ctrl+Space' });
    expect(bareLf(text)).toEqual([]);
  });

  it('a file that mixes both keeps every line it had (new lines get LF)', async () => {
    const path = join(folder(), 'sb.yaml');
    writeFileSync(path, 'servers:\r\n  alpha: { command: node }\nadmin: { port: 7301 }\r\n');
    await addServerEntry(path, 'beta', () => ({ transport: 'stdio', command: 'node' }));
    expect(readFileSync(path, 'utf8')).toBe('servers:\r\n  alpha: { command: node }\n  beta: { transport: stdio, command: node }\nadmin: { port: 7301 }\r\n');
  });
});

describe('host files and empty sections', () => {
  it('client connect writes a host file it creates (or one that is only {}) indented, with a final newline', async () => {
    const created = join(folder(), 'new', 'mcp.json');
    await writeHostEntry(HOSTS.cursor, created, 'switchboard', launch);
    const expected = `${JSON.stringify({ mcpServers: { switchboard: launch } }, null, 2)}\n`;
    expect(readFileSync(created, 'utf8')).toBe(expected);
    const braces = join(folder(), 'mcp.json');
    writeFileSync(braces, '{}\n');
    await writeHostEntry(HOSTS.cursor, braces, 'switchboard', launch);
    expect(readFileSync(braces, 'utf8')).toBe(expected);
  });

  it('add under a servers: that holds only a comment puts the entry after the comment', () => {
    expect(setYamlEntry('servers:\n  # none yet\n  # (add some)\nadmin: { port: 1 }\n', 'servers', 'a', { command: 'node' })).toBe(
      'servers:\n  # none yet\n  # (add some)\n  a:\n    command: node\nadmin: { port: 1 }\n',
    );
    // A comment at the key's own indentation is about what follows it: it stays below.
    expect(setYamlEntry('servers:\n# the admin API\nadmin: { port: 1 }\n', 'servers', 'a', { command: 'node' })).toBe(
      'servers:\n  a:\n    command: node\n# the admin API\nadmin: { port: 1 }\n',
    );
  });
});
