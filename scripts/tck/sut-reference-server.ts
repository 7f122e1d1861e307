// The TCK baseline: the @a2a-js/sdk reference stack as its docs mount it on express
// (DefaultRequestHandler + InMemoryTaskStore + in-memory push configs with the legacy-aware
// sender; agentCardHandler, jsonRpcHandler at /a2a and restHandler at the origin, each with v0.3
// compatibility on) serving the TCK agent of sut-executor.ts, with the same card our gateway
// builds (JSON-RPC + HTTP+JSON, v1.0 and v0.3, push notifications). Test tooling only.
// Usage: npx tsx scripts/tck/sut-reference-server.ts [port=9999] [host=127.0.0.1]

import type { AddressInfo } from 'node:net';
import express from 'express';
import { DefaultRequestHandler, InMemoryPushNotificationStore, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { createLegacyAwarePushNotificationSender } from '@a2a-js/sdk/compat/v0_3/server';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { withPushNotifications } from '../../src/a2a/push-notifications.js';
import { createTckExecutor, legacyAgentStyleFromEnv, TCK_SKILL } from './sut-executor.js';

const port = Number(process.argv[2] ?? 9999);
const host = process.argv[3] ?? '127.0.0.1';

const app = express();
const server = app.listen(port, host);
await new Promise<void>((resolve) => server.once('listening', resolve));
const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
const card = withPushNotifications(
  buildAgentCard({
    name: 'TCK SUT (@a2a-js/sdk reference)',
    description: 'The @a2a-js/sdk reference stack with v0.3 compatibility, for the A2A TCK',
    version: '1.0.0',
    jsonRpcUrl: `${origin}/a2a`,
    restUrl: origin,
    skills: [TCK_SKILL],
    requiresBearer: false,
  }),
);
const pushStore = new InMemoryPushNotificationStore();
const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), createTckExecutor({ legacyAgent: legacyAgentStyleFromEnv() }), undefined, pushStore, createLegacyAwarePushNotificationSender(pushStore));
const legacyCompat = { enabled: true };
app.use(['/.well-known/agent-card.json', '/.well-known/agent.json'], agentCardHandler({ agentCardProvider: requestHandler, legacyCompat }));
app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication, legacyCompat }));
app.use(restHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication, legacyCompat }));
process.stdout.write(JSON.stringify({ sut: 'reference', origin }) + '\n');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
