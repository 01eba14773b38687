import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { EVERYTHING_MARKER, everythingStdioConfig } from '../helpers/everything.js';
import { waitUnmarked } from '../helpers/processes.js';

/**
 * The breaker and the surface beyond tools, against the official server-everything over stdio.
 * An SDK `McpServer` answers every exception a prompt or resource callback throws with -32603,
 * also when the caller's input caused it (server-everything's resource-prompt throws "Invalid
 * resourceType", its template resource "Unknown resource"); a plain SDK client just gets an error
 * per request. The switchboard must not lock every tool of the server out because of that.
 */
describe('server-everything: caller errors on prompts and resources and the breaker', () => {
  let sb: Switchboard;

  beforeAll(async () => {
    sb = createSwitchboard({ servers: { everything: everythingStdioConfig() } });
    await sb.start();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('answers each bad prompt argument and resource id with its own error', async () => {
    const prompt = await sb.getPrompt('resource-prompt', { resourceType: 'Nope', resourceId: '1' }).catch((e: unknown) => e);
    expect(String((prompt as Error).message)).toContain('Invalid resourceType: Nope. Must be Text or Blob.');
    const read = await sb.readResource('demo://resource/dynamic/text/abc').catch((e: unknown) => e);
    expect(String((read as Error).message)).toContain('Unknown resource: demo://resource/dynamic/text/abc');
  });

  it('keeps the breaker closed and the tools callable after repeated bad prompt arguments and resource ids', async () => {
    // Default breaker: 50 % of at least 5 calls. Ten caller errors in a row would open it if counted as failures.
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(await sb.getPrompt('resource-prompt', { resourceType: 'Nope', resourceId: '1' }).then(() => 'ok', (e: { code: string }) => e.code));
      codes.push(await sb.readResource('demo://resource/dynamic/text/abc').then(() => 'ok', (e: { code: string }) => e.code));
    }
    expect(codes).not.toContain('CircuitOpen');
    expect(codes).not.toContain('ok');
    expect(sb.getServer('everything')).toMatchObject({ breaker: { state: 'closed' } });
    const echo = await sb.callTool('echo', { message: 'still here' });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: still here' }]);
  });

  it('stops the server-everything process it started', async () => {
    await sb.stop();
    expect(await waitUnmarked(EVERYTHING_MARKER)).toEqual([]);
  });
});
