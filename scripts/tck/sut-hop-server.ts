// The TCK's system under test through a toq hop (issue 4): TCK → gateway 1 → toq → gateway 2 →
// an A2A agent with the TCK's behaviours. Gateway 1 hosts `[agents.sut] toq = "toq://<gw2>/sut"`
// as its default A2A agent on the given port; gateway 2 hosts `[agents.sut] a2a = "<agent>"`;
// the agent is the @a2a-js/sdk reference stack serving sut-executor.ts. Both gateways are real
// daemons (startDaemon, temp workspaces, loopback webhooks allowed for the TCK's receiver); they
// find `a2a-bridge/1` in each other's cards and use the lossless profile. Test tooling only.
// Usage: npx tsx scripts/tck/sut-hop-server.ts [port=9997] [host=127.0.0.1]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { DefaultRequestHandler, InMemoryPushNotificationStore, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { createTckExecutor, legacyAgentStyleFromEnv, TCK_SKILL } from './sut-executor.js';

const port = Number(process.argv[2] ?? 9997);
const host = process.argv[3] ?? '127.0.0.1';
const log = pino({ level: process.env.TCK_SUT_LOG_LEVEL ?? 'warn' });

// The agent behind the hop: the SDK's stack with the TCK agent (its own push is not used: the
// TCK registers webhooks at gateway 1).
const app = express();
const agentServer = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => agentServer.once('listening', resolve));
const agentOrigin = `http://127.0.0.1:${(agentServer.address() as AddressInfo).port}`;
const card = buildAgentCard({
  name: 'TCK agent behind a toq hop',
  description: 'The TCK agent, reached through two toq-gateways',
  version: '1.0.0',
  jsonRpcUrl: `${agentOrigin}/a2a`,
  restUrl: agentOrigin,
  skills: [TCK_SKILL],
  requiresBearer: false,
});
const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), createTckExecutor({ legacyAgent: legacyAgentStyleFromEnv() }), undefined, new InMemoryPushNotificationStore());
app.use(['/.well-known/agent-card.json', '/.well-known/agent.json'], agentCardHandler({ agentCardProvider: requestHandler }));
app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
app.use(restHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));

async function startGateway(name: string, config: string, onPort: number): Promise<{ daemon: Daemon; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `toq-tck-hop-${name}-`));
  writeFileSync(join(dir, 'config.toml'), `host = "${host}"\n${config}`);
  const daemon = await startDaemon({ configDir: dir, log: log.child({ gateway: name }), port: onPort, bindAddress: host, overrides: { agentName: name } });
  return { daemon, dir };
}

const far = await startGateway('far', `connection_mode = "open"\n[agents.sut]\na2a = "${agentOrigin}"\n`, 0);
const near = await startGateway(
  'near',
  `a2a_enabled = true\na2a_default_agent = "sut"\na2a_webhook_allow_private = true\n[agents.sut]\ntoq = "toq://${host}:${far.daemon.port}/sut"\n`,
  port,
);
process.stdout.write(JSON.stringify({ sut: 'hop', origin: `http://${host}:${near.daemon.port}`, far: far.daemon.port, agent: agentOrigin }) + '\n');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      for (const gw of [near, far]) {
        await gw.daemon.stop().catch(() => undefined);
        rmSync(gw.dir, { recursive: true, force: true });
      }
      agentServer.closeAllConnections();
      agentServer.close(() => process.exit(0));
    })();
  });
}
