import { describe, expect, it } from 'vitest';
import { MemoryEngine } from '../../src/cluster/index.js';
import { createSwitchboard } from '../../src/switchboard/switchboard.js';

/**
 * A config reload that changes the `cluster:` block itself (DESIGN §13, §16): the replica keeps
 * the cluster it joined at start (its Redis connection, replica id, shared parts), says so once in
 * a warning that carries no secret, and applies the rest of the reload. An unchanged block says
 * nothing.
 */

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const block = (name: string, tokenKey = KEY_A) => ({ redis: { url: 'redis://:pa55word-XYZ@127.0.0.1:1' }, name, replicaId: 'r1', tokenKey });

describe('a reload that changes the cluster: block', () => {
  it('keeps the running cluster and warns once, without secrets; an unchanged block is silent', async () => {
    const engine = new MemoryEngine(() => Date.now());
    const logs: string[] = [];
    const sb = createSwitchboard({ servers: {}, cluster: block('one') }, { clusterBus: engine.bus('switchboard:one:'), logger: { log: (level, message) => logs.push(`${level} ${message}`) } });
    try {
      await sb.start();
      const warned = () => logs.filter((l) => l.includes('cluster: block changed'));
      await sb.reload({ servers: {}, cluster: block('one') });
      expect(warned()).toEqual([]);
      const result = await sb.reload({ servers: {}, cluster: block('two', KEY_B) });
      expect(result).toMatchObject({ added: [], removed: [] });
      expect(warned()).toHaveLength(1);
      expect(sb.cluster?.name).toBe('one');
      // Only the token key changed: still a change (compared by digest), still no secret in the line.
      await sb.reload({ servers: {}, cluster: block('one', KEY_B) });
      expect(warned()).toHaveLength(2);
      for (const line of logs) {
        expect(line).not.toContain('pa55word-XYZ');
        expect(line).not.toContain(KEY_B);
      }
    } finally {
      await sb.stop();
    }
  });
});
