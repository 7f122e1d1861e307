// Child process of the A2A benchmark: our A2A stack as the gateway mounts it (createA2aHttpHandler
// + createA2aRequestHandler on bare node:http), answering from the in-process echo agent, so the
// A2A path itself is measured. argv[2] = "sql" (the gateway's SQL task store on SQLite, as the
// daemon runs it: answers wait for the disk) or "memory" (the SDK's in-memory store, like the
// anchor). Prints {"url"}.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { InMemoryTaskStore, type TaskStore } from '@a2a-js/sdk/server';
import { createA2aHttpHandler, JSON_RPC_PATH, type HttpHandler } from '../src/a2a/a2a-http-handler.js';
import { buildAgentCard } from '../src/a2a/agent-card.js';
import { createBearerAuth } from '../src/a2a/bearer-auth.js';
import { createA2aRequestHandler } from '../src/a2a/request-handler.js';
import { openA2aTaskDatabase } from '../src/a2a/sql-task-store.js';
import type { AnswerGatedTaskStore } from '../src/a2a/sqlite-task-store.js';
import { WalSync } from '../src/store/wal-sync.js';
import { createEchoExecutor } from './a2a-echo-executor.js';
import { answerCpuQueries } from './child-cpu.js';

const dir = mkdtempSync(join(tmpdir(), 'toq-bench-a2a-'));
// As the daemon: saves commit without a sync and wait for a WAL flush off the event loop.
const walSync = process.argv[2] === 'memory' ? undefined : new WalSync(join(dir, 'gateway.db'));
const database = walSync === undefined ? undefined : await openA2aTaskDatabase(join(dir, 'gateway.db'), { durable: () => walSync.sync() });
const taskStore: TaskStore | AnswerGatedTaskStore = database?.answerStore ?? new InMemoryTaskStore();
let handler: HttpHandler = () => undefined;
const server = createServer((req, res) => handler(req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${JSON_RPC_PATH}`;
const card = buildAgentCard({ name: 'echo', description: 'echo', version: '0', jsonRpcUrl: url, restUrl: url, skills: [], requiresBearer: false });
const requestHandler = createA2aRequestHandler({ card, taskStore, executor: createEchoExecutor() });
handler = createA2aHttpHandler({ requestHandler, card: () => Promise.resolve(card), authenticate: createBearerAuth([]).authenticate, tenant: 'echo' }, { log: pino({ level: 'warn' }) });
process.stdout.write(JSON.stringify({ url }) + '\n');
answerCpuQueries();
process.stdin.resume();
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() =>
    void (database?.close() ?? Promise.resolve()).then(() => walSync?.close()).then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }),
  );
});
