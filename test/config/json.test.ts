import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFileSync, parseConfigText } from '../../src/config/index.js';
import { issuesOf } from './issues.js';


const dir = mkdtempSync(join(tmpdir(), 'sb-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JSON config files', () => {
  it('rejects a trailing comma with its line and column', () => {
    const text = '{\n  "mcpServers": {\n    "files": { "command": "node" },\n  }\n}\n';
    expect(issuesOf(() => parseConfigText(text, 'claude.json'))).toEqual([{ path: '', message: expect.stringMatching(/^invalid JSON: .*\(line 4, column 3\)$/) }]);
  });

  it('parses text that opens with { as JSON whatever the file is called', () => {
    expect(issuesOf(() => parseConfigText('  {"servers": {},}', 'config.yaml'))[0]!.message).toMatch(/invalid JSON.*line 1, column 18/);
    expect(issuesOf(() => parseConfigText('{"servers": {}} trailing', 'stdin'))[0]!.message).toMatch(/invalid JSON/);
  });

  it('reports a .json file that is not JSON at all', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, 'servers:\n  files: { command: node }\n');
    const issues = issuesOf(() => loadConfigFileSync(path));
    expect(issues).toEqual([{ path: '', message: expect.stringMatching(/^invalid JSON: .*\(line 1, column 1\)$/) }]);
  });

  it('places the errors Node reports without a position (a trailing comma in an array, a bare word)', () => {
    const cases: [string, string][] = [
      ['{\n  "servers": {\n    "s": { "command": "x", "args": ["a",] }\n  }\n}', "Unexpected token ']' (line 3, column 41)"],
      ['{"servers": {"s": {"enabled": tru}}}', "Unexpected token '}' (line 1, column 34)"],
      ['{"servers": {"s": {"enabled": yes}}}', "Unexpected token 'y' (line 1, column 31)"],
    ];
    for (const [text, expected] of cases) expect(issuesOf(() => parseConfigText(text, 'a.json'))).toEqual([{ path: '', message: `invalid JSON: ${expected}` }]);
  });

  it('reports an unfinished document at its end', () => {
    expect(issuesOf(() => parseConfigText('{\n  "servers": {', 'a.json'))[0]!.message).toMatch(/\(line 2, column 15\)$/);
  });

  it('still refuses prototype keys and duplicate keys in JSON', () => {
    expect(issuesOf(() => parseConfigText('{"servers": {"s": {"command": "x", "__proto__": {"polluted": true}}}}', 'a.json'))).toEqual([
      { path: 'servers.s.__proto__', message: 'key "__proto__" is not allowed' },
    ]);
    expect(issuesOf(() => parseConfigText('{"servers": {"constructor": {"command": "x"}}}', 'a.json'))[0]!.path).toBe('servers.constructor');
    expect(issuesOf(() => parseConfigText('{"servers": {}, "servers": {}}', 'a.json'))[0]!.message).toMatch(/unique|duplicate/i);
  });

  it('keeps JSON values exactly as JSON reads them', () => {
    const text = '\ufeff{"servers": {"s": {"command": "x", "args": ["yes", "0x10", "1e3", "~", "a\\/b"]}}}';
    expect(parseConfigText(text, 'a.json')).toEqual({ servers: { s: { command: 'x', args: ['yes', '0x10', '1e3', '~', 'a/b'] } } });
  });

  it('loads a valid mcpServers JSON file', () => {
    const path = join(dir, 'claude_desktop_config.json');
    writeFileSync(path, JSON.stringify({ mcpServers: { files: { command: 'node', args: ['server.js'] } } }, null, 2));
    expect(loadConfigFileSync(path).servers.files).toMatchObject({ transport: 'stdio', command: 'node', args: ['server.js'] });
  });
});
