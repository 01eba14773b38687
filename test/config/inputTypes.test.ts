import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { createSwitchboard, type SwitchboardInput } from '../../src/index.js';

/**
 * Servers in our own format may leave `transport` out where the entry says it (`command` → stdio,
 * `url` → http), in code as in YAML: the input type allows what the resolver accepts (this file
 * is type-checked by `npm test`).
 */

describe('config input types', () => {
  it('takes servers without transport from code, typed, and infers it', async () => {
    const input: SwitchboardInput = {
      servers: {
        files: { command: 'node', args: ['server.js'] },
        search: { url: 'http://127.0.0.1:1/mcp', protocol: '2026-07-28' },
        old: { transport: 'sse', url: 'http://127.0.0.1:1/sse' },
      },
    };
    const resolved = resolveConfig(input as Parameters<typeof resolveConfig>[0]);
    expect(Object.fromEntries(Object.entries(resolved.servers).map(([name, s]) => [name, s.transport]))).toEqual({ files: 'stdio', search: 'http', old: 'sse' });
    const sb = createSwitchboard({ servers: { files: { command: 'node', args: ['server.js'], enabled: false } } });
    expect(sb.getServer('files')?.transport).toBe('stdio');
    await sb.stop();
  });
});
