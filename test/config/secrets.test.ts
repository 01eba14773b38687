import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { issuesOf } from './issues.js';


describe('secrets recorded at expansion', () => {
  it('records every value taken from the environment on the server it landed in', () => {
    const config = resolveConfig(
      {
        servers: {
          local: { command: '${BIN}', args: ['--key=${KEY}', '${LEVEL:-info}'], env: { T: '${TOKEN}' }, cwd: '${DIR}' },
          remote: { url: 'https://h.example.test/mcp?k=${QUERY}', headers: { Authorization: 'Bearer ${TOKEN}' } },
          plain: { command: 'node', args: ['${MISSING:-default-arg}', 'cost $$5'] },
        },
      },
      { env: { BIN: '/bin/srv', KEY: 'k-123', TOKEN: 't-456', DIR: '/work/dir', QUERY: 'q-789', EMPTY: '' } },
    );
    expect(config.servers.local!.secrets.sort()).toEqual(['/bin/srv', '/work/dir', 'k-123', 't-456']);
    expect(config.servers.remote!.secrets.sort()).toEqual(['q-789', 't-456']);
    expect(config.servers.plain!.secrets).toEqual([]);
  });

  it('records them for mcpServers files and for an empty variable that fell back to its default not at all', () => {
    const config = resolveConfig(
      { mcpServers: { files: { command: 'node', args: ['${A}', '${EMPTY:-fallback}'] } } },
      { env: { A: 'from-env', EMPTY: '' } },
    );
    expect(config.servers.files!.secrets).toEqual(['from-env']);
  });

  it('refuses credentials in a URL with a pointer to headers, in both formats', () => {
    for (const url of ['https://user:pass@h.example.test/mcp', 'https://token-only@h.example.test/mcp']) {
      expect(issuesOf(() => resolveConfig({ servers: { r: { transport: 'http', url } } }))).toEqual([
        { path: 'servers.r.url', message: expect.stringMatching(/credentials.*headers/) },
      ]);
      expect(issuesOf(() => resolveConfig({ mcpServers: { r: { type: 'sse', url } } }))).toEqual([
        { path: 'mcpServers.r.url', message: expect.stringMatching(/credentials.*headers/) },
      ]);
    }
  });
});
