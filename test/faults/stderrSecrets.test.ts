import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { FAST, until } from '../helpers/switchboard.js';

/**
 * A `${VAR}` secret a stdio server prints to stderr, cut by the bounded tail (limits.stderrBufferBytes,
 * and the tail's 4096-character view): no piece of it of 4 characters or more shows in
 * `stderrTail`, through `getServer`, `listServers` and `sb.redact` alike.
 */

const SECRET = 'S3cr3tV4lueXYZ';
const RING = 4096;

/** A stdio server printing what `script` builds on stderr (the secret as argv[1]), then staying up. */
function printer(script: string) {
  return { transport: 'stdio' as const, command: process.execPath, args: ['-e', `process.stderr.write(${script}); setInterval(() => {}, 60000)`, '${SECRET}'] };
}

/** Every piece of `secret` of at least 4 characters that shows in `text`. */
function pieces(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let length = 4; length <= secret.length; length++) {
    for (let at = 0; at + length <= secret.length; at++) if (text.includes(secret.slice(at, at + length))) found.push(secret.slice(at, at + length));
  }
  return found;
}

describe('secrets in the stderr tail', () => {
  let sb: Switchboard | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });

  /** Started, not awaited: these servers never answer initialize (their connects wait for connectMs). */
  const open = (servers: Record<string, ReturnType<typeof printer>>, stderrBufferBytes = RING, connectMs = 30_000) => {
    sb = createSwitchboard({ servers, defaults: { ...FAST, timeouts: { ...FAST.timeouts, connectMs }, limits: { stderrBufferBytes } } }, { env: { ...process.env, SECRET } });
    void sb.start().catch(() => undefined);
    return sb;
  };

  const tails = (s: Switchboard, name: string) => {
    const status = s.getServer(name)!.stderrTail;
    const listed = s.listServers().find((server) => server.name === name)!.stderrTail;
    return [status, listed, s.redact(status), s.redact(listed)];
  };

  it('masks the rest of a secret the ring cut at its start, for every length of the rest', async () => {
    // The ring keeps the last RING bytes of `secret + filler + "\nEND\n"`: `kept` characters of the secret.
    const kept = [4, 7, 10, SECRET.length - 1];
    const servers = Object.fromEntries(kept.map((k) => [`cut${k}`, printer(`process.argv[1] + 'z'.repeat(${RING - k - 5}) + '\\nEND\\n'`)]));
    const s = open(servers);
    for (const k of kept) {
      await until(() => s.getServer(`cut${k}`)!.stderrTail.endsWith('END\n'), 10_000, `stderr of cut${k}`);
      for (const tail of tails(s, `cut${k}`)) {
        expect(pieces(tail, SECRET)).toEqual([]);
        expect(tail.startsWith('***z')).toBe(true);
      }
    }
  });

  it('masks the start of a secret the server is still writing at the end of the tail', async () => {
    const s = open({ half: printer(`'READY\\ntoken=' + process.argv[1].slice(0, 9)`) });
    await until(() => s.getServer('half')!.stderrTail.includes('READY'), 10_000, 'stderr of half');
    for (const tail of tails(s, 'half')) expect(tail).toBe('READY\ntoken=***');
  });

  it('masks the start of a secret a process printed before it died, with the next process printing after it', async () => {
    const s = open({ dies: { transport: 'stdio', command: process.execPath, args: ['-e', `process.stderr.write('token=' + process.argv[1].slice(0, 9), () => process.exit(1))`, '${SECRET}'] } });
    await until(() => (s.getServer('dies')!.stderrTail.match(/token=/g)?.length ?? 0) >= 3, 10_000, 'three processes');
    for (const tail of tails(s, 'dies')) {
      expect(pieces(tail, SECRET)).toEqual([]);
      expect(tail.startsWith('token=***token=***token=***')).toBe(true);
    }
  });

  it("masks the rest of a secret cut by the tail's 4096-character view of a larger ring", async () => {
    const s = open({ view: printer(`process.argv[1] + 'z'.repeat(4096 - 6 - 5) + '\\nEND\\n'`) }, 65_536);
    await until(() => s.getServer('view')!.stderrTail.endsWith('END\n'), 10_000, 'stderr of view');
    for (const tail of tails(s, 'view')) {
      expect(pieces(tail, SECRET)).toEqual([]);
      expect(tail.startsWith('***z')).toBe(true);
    }
  });
});
