// The TCK's system under test for OUR A2A stack: the TCK agent of sut-executor.ts in-process
// behind what the daemon mounts for a local agent (src/gateway/local-a2a-gateway.ts): the SQL task
// and push-config stores in a SQLite file, createA2aRequestHandler, the guarded push sender, the
// signed card (JSON-RPC at /a2a, REST at the origin, v1.0 + v0.3, push) with its JWKS, and
// createA2aHttpHandler on bare node:http, anonymous access. Differences from the daemon: the
// toq bridge is replaced by the TCK agent, and webhooks may be loopback (the TCK's receiver runs
// on localhost; the daemon's `a2a_webhook_allow_private`). Test tooling only.
// Usage: npx tsx scripts/tck/sut-gateway-server.ts [port=9998] [host=127.0.0.1]

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createA2aAuth } from '../../src/a2a/a2a-auth.js';
import { createA2aHttpHandler, JSON_RPC_PATH, type HttpHandler } from '../../src/a2a/a2a-http-handler.js';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { buildJwks, createCardSigner, JWKS_PATH } from '../../src/a2a/card-signature.js';
import { GuardedPushNotificationSender, withPushNotifications } from '../../src/a2a/push-notifications.js';
import { createA2aRequestHandler } from '../../src/a2a/request-handler.js';
import { openA2aTaskDatabase } from '../../src/a2a/sql-task-store.js';
import { createTckExecutor, legacyAgentStyleFromEnv, TCK_SKILL } from './sut-executor.js';

const port = Number(process.argv[2] ?? 9998);
const host = process.argv[3] ?? '127.0.0.1';
const log = pino({ level: process.env.TCK_SUT_LOG_LEVEL ?? 'warn' });

const dir = mkdtempSync(join(tmpdir(), 'toq-tck-sut-'));
const database = await openA2aTaskDatabase(join(dir, 'gateway.db'));
let handler: HttpHandler = (_req, res) => void res.writeHead(503).end();
const server = createServer((req, res) => {
  handler(req, res);
});
await new Promise<void>((resolve) => server.listen(port, host, resolve));
const origin = `http://${host}:${(server.address() as AddressInfo).port}`;

const signingKey = generateKeyPairSync('ed25519');
const sign = createCardSigner(() => signingKey, { jku: origin + JWKS_PATH });
const auth = createA2aAuth({ apiKeys: [] }, { log });
const card = () =>
  sign(
    withPushNotifications(
      buildAgentCard({
        name: 'TCK SUT (toq gateway A2A stack)',
        description: 'Our A2A stack (src/a2a) with the TCK agent in-process, for the A2A TCK',
        version: '1.0.0',
        jsonRpcUrl: origin + JSON_RPC_PATH,
        restUrl: origin,
        skills: [TCK_SKILL],
        ...auth.cardSecurity,
      }),
    ),
  );
const pushSender = new GuardedPushNotificationSender(database.pushStore, { policy: { allowPrivate: true } }, { log, onDisk: database.answerStore.answerable });
const requestHandler = createA2aRequestHandler({ card: card(), taskStore: database.answerStore, executor: createTckExecutor({ legacyAgent: legacyAgentStyleFromEnv() }), push: { store: database.pushStore, sender: pushSender } });
handler = createA2aHttpHandler({ requestHandler, card: () => Promise.resolve(card()), jwks: () => buildJwks([signingKey.publicKey]), authenticate: auth.authenticate, tenant: 'tck' }, { log });
process.stdout.write(JSON.stringify({ sut: 'gateway', origin, db: join(dir, 'gateway.db') }) + '\n');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() =>
      void pushSender
        .close()
        .then(() => database.close())
        .finally(() => {
          rmSync(dir, { recursive: true, force: true });
          process.exit(0);
        }),
    );
  });
}
