import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonText, terminalText } from '../../src/cli/terminal.js';
import { createJsonLogger } from '../../src/core/logger.js';
import { runCli, writeConfig } from '../helpers/service.js';
// @ts-expect-error plain JS fixture
import { HOSTILE } from './hostileServer.mjs';

const FIXTURE = fileURLToPath(new URL('./hostileServer.mjs', import.meta.url));
const hostile = HOSTILE as string;

/** Everything a terminal obeys: C0 but tab and line feed, DEL, C1, bidi controls. */
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** How HOSTILE looks once escaped (one line). */
const SHOWN = String.raw`\x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\rOVERWRITE\u009b31m\u0085\x7f\u202eright\u2066`;

/** The output of a run with what it must not contain spelled out, so a failure names the character. */
const rawOf = (text: string) => [...text].filter((ch) => RAW.test(ch)).map((ch) => `U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('terminal escaping (terminal.ts)', () => {
  it('shows every control character a terminal obeys, keeping line feeds and tabs only in text meant to span lines', () => {
    expect(terminalText(`a${hostile}\tb\nc`)).toBe(`a${SHOWN}\\tb\\nc`);
    expect(terminalText(`a${hostile}\tb\r\nc\rd`, { multiline: true })).toBe(`a${SHOWN}\tb\nc\\rd`);
    expect(terminalText('plain ünïcödé → ok ✓ 日本')).toBe('plain ünïcödé → ok ✓ 日本');
  });

  it('writes JSON with no raw control character that parses to exactly the same value', () => {
    const value = { name: `x${hostile}`, list: [hostile, '\u2028'] };
    const text = jsonText(value);
    expect(rawOf(text.replace(/\n/g, ''))).toEqual([]);
    expect(JSON.parse(text)).toEqual(value);
    expect(jsonText(value, 0)).not.toContain('\n');
  });
});

describe('invisible characters (terminal.ts, core/text.ts)', () => {
  /** Characters that hide text or make two names look alike: zero-width, BOM, soft hyphen, word joiner, tags. */
  const INVISIBLE = '\u200b\u200c\u200d\ufeff\u00ad\u2060\u2064\u034f\u180e\u3164\ufff9\u{e0041}\u{e007f}';

  it('shows them escaped in human output and as \\u escapes in JSON that parses back exactly, emoji untouched', () => {
    const name = `read${INVISIBLE}_file`;
    const shown = terminalText(name);
    expect(shown).toBe(String.raw`read\u200b\u200c\u200d\ufeff\u00ad\u2060\u2064\u034f\u180e\u3164\ufff9\u{e0041}\u{e007f}_file`);
    expect(terminalText(name, { multiline: true })).toBe(shown);
    const json = jsonText({ name });
    expect([...json].filter((ch) => INVISIBLE.includes(ch))).toEqual([]);
    expect(JSON.parse(json)).toEqual({ name });
    expect(terminalText('ok 😀\ufe0f ✓')).toBe('ok 😀\ufe0f ✓');
  });

  it('keeps them out of the JSON log lines too', () => {
    const lines: string[] = [];
    createJsonLogger({ write: (line) => void lines.push(line) }).log('warn', `tool${INVISIBLE}`);
    expect([...lines[0]!].filter((ch) => INVISIBLE.includes(ch))).toEqual([]);
    expect(JSON.parse(lines[0]!).msg).toBe(`tool${INVISIBLE}`);
  });
});

describe('switchboard CLI: server-controlled strings on a terminal', () => {
  const server = (mode: string) => `{ transport: stdio, command: ${process.execPath}, args: ["${FIXTURE}", ${mode}], timeouts: { connectMs: 5000 }, reconnect: { maxAttempts: 1 } }`;

  it('escapes them in every human-readable command and keeps --json exact', async () => {
    const config = writeConfig(`servers:\n  evil: ${server('serve')}\n  gone: ${server('crash')}\n  refusing: ${server('refuse')}\n`);
    const run = (...args: string[]) => runCli([...args, '--config', config]);
    // Each run starts and stops the three servers: two batches side by side.
    const human = await Promise.all([run('tools'), run('call', `tool${hostile}`), run('call', 'fail'), run('health'), run('resources')]);
    const human2 = await Promise.all([run('read', `evil://r${hostile}`), run('prompts'), run('prompt', `prompt${hostile}`), run('read', 'evil://t/1')]);
    const [tools, call, fail, health, resources] = human;
    const [read, prompts, prompt] = human2;
    for (const [i, result] of [...human, ...human2].entries()) {
      expect({ i, stdout: rawOf(result.stdout), stderr: rawOf(result.stderr) }).toEqual({ i, stdout: [], stderr: [] });
    }
    // What the server said is still there, visibly escaped.
    expect(tools.code).toBe(0);
    expect(tools.stdout).toContain(`tool${SHOWN}`);
    expect(tools.stdout).toContain(`desc${SHOWN}`);
    expect(tools.stderr).toContain(`gone stderr: dying ${SHOWN}`);
    expect(call).toMatchObject({ code: 0 });
    expect(call.stdout).toContain(`result${SHOWN}\nline two\n`);
    expect(fail.code).not.toBe(0);
    expect(fail.stderr).toContain(`failed${SHOWN}`);
    expect(health.stdout).toContain(`refused${SHOWN}`);
    expect(resources.stdout).toContain(`evil://r${SHOWN}`);
    expect(resources.stdout).toContain(`text/plain${SHOWN}`);
    expect(resources.stdout).toContain(`evil://t/{id}${SHOWN}`);
    expect(read).toMatchObject({ code: 0 });
    expect(read.stdout).toContain(`content${SHOWN}\n`);
    expect(read.stdout).toContain(`application/x${SHOWN}`);
    expect(prompts.stdout).toContain(`prompt${SHOWN}`);
    expect(prompts.stdout).toContain(`arg${SHOWN}`);
    expect(prompt).toMatchObject({ code: 0 });
    expect(prompt.stdout).toContain(`user: message${SHOWN}\n`);

    const json = await Promise.all([run('tools', '--json'), run('call', `tool${hostile}`, '--json'), run('read', `evil://r${hostile}`, '--json'), run('call', 'fail', '--json')]);
    for (const [i, result] of json.entries()) expect({ i, stdout: rawOf(result.stdout.replace(/\n/g, '')), stderr: rawOf(result.stderr.replace(/\n$/, '')) }).toEqual({ i, stdout: [], stderr: [] });
    const listed = JSON.parse(json[0]!.stdout) as { tools: { name: string; description: string }[]; unavailable: { server: string; stderrTail: string }[] };
    expect(listed.tools.map((t) => t.name)).toContain(`tool${hostile}`);
    expect(listed.tools.find((t) => t.name === `tool${hostile}`)!.description).toBe(`desc${hostile}\nsecond line${hostile}`);
    expect(listed.unavailable.find((u) => u.server === 'gone')!.stderrTail).toContain(`dying ${hostile}`);
    expect(JSON.parse(json[1]!.stdout).content[0].text).toBe(`result${hostile}\nline two\r\n`);
    expect(JSON.parse(json[2]!.stdout).contents[0].text).toBe(`content${hostile}`);
    expect(JSON.parse(json[3]!.stderr).error.message).toContain(`failed${hostile}`);
  }, 90_000);
});
