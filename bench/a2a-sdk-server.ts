// Child process of the A2A benchmark, the anchor: the @a2a-js/sdk reference server as its docs
// mount it, express + jsonRpcHandler + DefaultRequestHandler + InMemoryTaskStore, with the echo
// agent. Prints {"url"} (the JSON-RPC endpoint) when up; exits when stdin closes.

import type { AddressInfo } from 'node:net';
import express from 'express';
import { DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { buildAgentCard } from '../src/a2a/agent-card.js';
import { createEchoExecutor } from './a2a-echo-executor.js';
import { answerCpuQueries } from './child-cpu.js';

const app = express();
const server = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a2a`;
const card = buildAgentCard({ name: 'echo', description: 'echo', version: '0', jsonRpcUrl: url, restUrl: url, skills: [], requiresBearer: false });
const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), createEchoExecutor());
app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
process.stdout.write(JSON.stringify({ url }) + '\n');
answerCpuQueries();
process.stdin.resume();
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
