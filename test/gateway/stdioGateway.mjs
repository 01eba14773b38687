// The gateway as a host runs it: `node stdioGateway.mjs '<config JSON>' '<gateway options JSON>'`
// speaks MCP on stdin/stdout over a switchboard, logs JSON lines on stderr, and stops every
// upstream when stdin closes or SIGTERM arrives (what `switchboard gateway` does).
import { createGateway, createGatewayRouter, serveStdio } from '../../dist/src/gateway/index.js';
import { createSwitchboard } from '../../dist/src/index.js';
import { createJsonLogger } from '../../dist/src/core/logger.js';

const config = JSON.parse(process.argv[2] ?? '{"servers":{}}');
const options = JSON.parse(process.argv[3] ?? '{}');
const logger = createJsonLogger({ minimum: 'info' });
const router = createGatewayRouter();
const sb = createSwitchboard(config, { handlers: router.handlers, logger });
const gateway = createGateway(sb, { ...options, router, logger });

let stopping;
const stop = (reason) => {
  stopping ??= (async () => {
    logger.log('info', `gateway: stopping (${reason})`);
    await gateway.close();
    await sb.stop();
    logger.log('info', 'gateway: stopped');
    process.exit(0);
  })();
  return stopping;
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

await sb.start();
const { ended } = await serveStdio(gateway);
void ended.then(stop);
