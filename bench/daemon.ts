// `npm run bench -- daemon`: local-API send throughput and latency through a real daemon (SQLite
// outbox, one persistent pipelined session to the peer) against the reference's strategy measured
// in the same run: a new TCP + TLS + handshake + negotiation + card exchange for every message.
// The receiving daemon runs in its own process.

import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startDaemon } from '../src/daemon/daemon.js';
import { buildLocalCard } from '../src/protocol/card.js';
import { generateIdentity } from '../src/protocol/ed25519.js';
import { ToqEndpoint } from '../src/transport/toq-endpoint.js';
import { startChild } from './child.js';
import { fmt, printTable, timeConcurrent, timeSequential, type Timing } from './stats.js';

const SEQUENTIAL = 300;
const CONCURRENT = Number(process.env['BENCH_DAEMON_MESSAGES'] ?? 2_000);
const PER_CONNECTION = 300;
const IN_FLIGHT = 16;
const BODY = JSON.stringify({ text: 'The quick brown fox jumps over the lazy dog.' });

export async function runDaemonBench(): Promise<void> {
  console.log(`daemon bench: ${SEQUENTIAL} sequential + ${CONCURRENT} concurrent (${IN_FLIGHT} in flight) local-API sends; node ${process.version}`);
  const receiverPort = await freePort();
  const receiver = await startChild<{ port: number; address: string }>('./daemon-receiver.ts', [String(receiverPort)]);
  const dir = mkdtempSync(join(tmpdir(), 'toq-bench-'));
  const sender = await startDaemon({ configDir: dir, log: pino({ level: 'warn' }), port: 0, bindAddress: '127.0.0.1', overrides: { agentName: 'alice', connectionMode: 'open' } });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const post = (wait: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const body = `{"to":${JSON.stringify(receiver.info.address)},"body":${BODY}}`;
      const req = request(
        { host: '127.0.0.1', port: sender.port, path: `/v1/messages?wait=${wait}&timeout=30`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    for (let i = 0; i < 200; i++) await post(true); // warm-up: session, JIT

    const sequential = await timeSequential(SEQUENTIAL, () => post(true).then(expectStatus(200)));
    const concurrentWait = await timeConcurrent(CONCURRENT, IN_FLIGHT, () => post(true).then(expectStatus(200)));
    const concurrentQueued = await timeConcurrent(CONCURRENT, IN_FLIGHT, () => post(false).then(expectStatus(202)));

    // The reference's strategy: one fresh connection per message, with the same crypto and code.
    const perConnection = await measurePerConnection(receiver.info.address);

    printTable('local API sends, one peer', [
      { strategy: 'daemon, persistent session: wait=true, sequential', 'msg/s': fmt(sequential.rate, 0), 'p50 ms': fmt(sequential.p50, 3), 'p99 ms': fmt(sequential.p99, 3) },
      { strategy: `daemon, persistent session: wait=true, ${IN_FLIGHT} in flight`, 'msg/s': fmt(concurrentWait.rate, 0), 'p50 ms': fmt(concurrentWait.p50, 3), 'p99 ms': fmt(concurrentWait.p99, 3) },
      { strategy: `daemon: wait=false (committed, 202), ${IN_FLIGHT} in flight`, 'msg/s': fmt(concurrentQueued.rate, 0), 'p50 ms': fmt(concurrentQueued.p50, 3), 'p99 ms': fmt(concurrentQueued.p99, 3) },
      { strategy: 'new connection per message (reference), sequential', 'msg/s': fmt(perConnection.sequential.rate, 0), 'p50 ms': fmt(perConnection.sequential.p50, 3), 'p99 ms': fmt(perConnection.sequential.p99, 3) },
      { strategy: `new connection per message (reference), ${IN_FLIGHT} in flight`, 'msg/s': fmt(perConnection.concurrent.rate, 0), 'p50 ms': fmt(perConnection.concurrent.p50, 3), 'p99 ms': fmt(perConnection.concurrent.p99, 3) },
    ]);
    printTable('ratios', [
      { ratio: 'sequential latency: new connection / persistent (p50)', value: fmt(perConnection.sequential.p50 / sequential.p50) },
      { ratio: `throughput at ${IN_FLIGHT} in flight: persistent wait=true / new connection`, value: fmt(concurrentWait.rate / perConnection.concurrent.rate) },
    ]);
  } finally {
    agent.destroy();
    await sender.stop();
    rmSync(dir, { recursive: true, force: true });
    await receiver.stop();
  }
}

async function measurePerConnection(target: string): Promise<{ sequential: Timing; concurrent: Timing }> {
  const identity = generateIdentity();
  const sendOnce = async (): Promise<void> => {
    const endpoint = new ToqEndpoint({
      agents: [{ name: 'ref', identity, address: 'toq://127.0.0.1:1/ref', card: buildLocalCard({ name: 'ref', publicKeyText: identity.publicKeyText, connectionMode: 'open' }) }],
      decide: async () => 'reject',
      onEnvelope: () => undefined,
      log: pino({ level: 'silent' }),
    });
    try {
      const outcome = await endpoint.send(target, { type: 'message.send', body: { text: 'per-connection' }, thread_id: 'bench' });
      if (outcome.status !== 'acked') throw new Error('not acked');
    } finally {
      await endpoint.close();
    }
  };
  for (let i = 0; i < 30; i++) await sendOnce();
  const sequential = await timeSequential(PER_CONNECTION, sendOnce);
  const concurrent = await timeConcurrent(PER_CONNECTION * 2, IN_FLIGHT, sendOnce);
  return { sequential, concurrent };
}

function expectStatus(expected: number): (status: number) => void {
  return (status) => {
    if (status !== expected) throw new Error(`local API answered ${status}, expected ${expected}`);
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
