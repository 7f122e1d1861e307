// `npm run bench -- a2a`: blocking SendMessage (v1.0 JSON-RPC) throughput at 16 in flight and
// unloaded p50/p99, in one run, for (a) the @a2a-js/sdk reference server on express, the anchor;
// (b) our A2A stack on bare node:http with an in-process echo agent (SQL task store as the daemon
// runs it, and the in-memory store as the anchor uses); (c) our gateway bridging A2A to a toq
// peer that echoes (gw → toq → echo daemon → toq → gw). Every server runs in its own process;
// ratios are printed against DESIGN §10 targets. Never gates CI.

import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { startChild, type BenchChild } from './child.js';
import { measureCryptoFloor } from './crypto-floor.js';
import { fmt, printTable, timeConcurrent, timeSequential, type Timing } from './stats.js';

const IN_FLIGHT = 16;
const CONCURRENT = Number(process.env['BENCH_A2A_MESSAGES'] ?? 2_000);
const SEQUENTIAL = 300;
const WARMUP = 300;
/** BENCH_A2A_ONLY=b (letters of a, b, m for b′, c) measures only those cases, without ratios (to profile one). */
const ONLY = process.env['BENCH_A2A_ONLY'];


interface Result {
  readonly name: string;
  readonly loaded: Timing;
  readonly unloaded: Timing;
  /** CPU time of the server processes per message at 16 in flight (µs), each process apart. */
  readonly cpuPerMessage: readonly number[];
  /** CPU time of this process, the load generator, per message at 16 in flight (µs): it shares the cores. */
  readonly clientCpuPerMessage: number;
}

export async function runA2aBench(): Promise<void> {
  console.log(`a2a bench: blocking SendMessage (JSON-RPC, A2A-Version 1.0), ${SEQUENTIAL} sequential + ${CONCURRENT} at ${IN_FLIGHT} in flight; node ${process.version}`);
  const cases: ReadonlyArray<{ readonly key: string; measure(): Promise<Result> }> = [
    { key: 'a', measure: () => measureChild('(a) @a2a-js/sdk reference: express + jsonRpcHandler, in-memory store', () => startChild<{ url: string }>('./a2a-sdk-server.ts')) },
    { key: 'b', measure: () => measureChild('(b) our A2A stack, bare node:http, SQL task store (as the daemon)', () => startChild<{ url: string }>('./a2a-gateway-server.ts', ['sql'])) },
    { key: 'm', measure: () => measureChild('(b′) our A2A stack, bare node:http, in-memory store', () => startChild<{ url: string }>('./a2a-gateway-server.ts', ['memory'])) },
    { key: 'c', measure: measureBridge },
  ];
  const results: Result[] = [];
  for (const c of cases) if (ONLY === undefined || ONLY.includes(c.key)) results.push(await c.measure());
  printTable('A2A SendMessage (blocking)', results.map(row));
  if (ONLY !== undefined) return;
  const [a, b, bMemory, c] = results as [Result, Result, Result, Result];
  const verdict = (value: number, target: number, higherIsBetter: boolean) => ((higherIsBetter ? value >= target : value <= target) ? 'met' : 'MISSED');
  printTable('ratios against targets (DESIGN §10)', [
    { ratio: '(b) / (a) throughput', value: fmt(b.loaded.rate / a.loaded.rate), target: '≥ 1.5', verdict: verdict(b.loaded.rate / a.loaded.rate, 1.5, true) },
    { ratio: '(b′) / (a) throughput (same store kind)', value: fmt(bMemory.loaded.rate / a.loaded.rate), target: '(info)', verdict: '' },
    { ratio: '(c) / (a) throughput', value: fmt(c.loaded.rate / a.loaded.rate), target: '≥ 0.8', verdict: verdict(c.loaded.rate / a.loaded.rate, 0.8, true) },
    { ratio: '(c) / (a) unloaded p50', value: fmt(c.unloaded.p50 / a.unloaded.p50), target: '≤ 2', verdict: verdict(c.unloaded.p50 / a.unloaded.p50, 2, false) },
    // The machine's cores bound throughput: what each case spends per message, summed over its server processes.
    { ratio: '(b) / (a) server CPU per message', value: fmt(sum(b.cpuPerMessage) / sum(a.cpuPerMessage)), target: '(info)', verdict: '' },
    { ratio: '(c) / (a) server CPU per message', value: fmt(sum(c.cpuPerMessage) / sum(a.cpuPerMessage)), target: '(info)', verdict: '' },
  ]);
  printBridgeBounds(a, b, c);
}

/**
 * What (c) could reach on this machine if its toq hop cost nothing but the signatures the protocol
 * requires: a bridged message is four envelopes (the message, its ack, the reply, its ack), each
 * canonicalized, signed and verified once; the gateway's A2A side costs at least what (b) costs;
 * the load generator shares the cores. Unloaded, the message and the reply are each signed and
 * verified on the way to the answer (the acks are not waited for).
 */
function printBridgeBounds(a: Result, b: Result, c: Result): void {
  const floor = measureCryptoFloor();
  const cores = availableParallelism();
  const crypto = 4 * floor.microsPerEnvelope;
  const ceiling = (cores * 1e6) / (sum(b.cpuPerMessage) + crypto + c.clientCpuPerMessage);
  const p50Floor = b.unloaded.p50 + (2 * floor.microsPerEnvelope) / 1000;
  printTable(`bounds of (c) from the crypto floor (${fmt(floor.microsPerEnvelope, 0)} µs per envelope per side, ${cores} cores; info)`, [
    { bound: 'toq crypto per bridged message (4 envelopes)', value: `${fmt(crypto, 0)} µs`, 'against (a)': '' },
    { bound: '(c) throughput if the toq path cost only its crypto', value: `${fmt(ceiling, 0)} msg/s`, 'against (a)': fmt(ceiling / a.loaded.rate) },
    { bound: '(c) unloaded p50 if the toq path cost only its crypto', value: `${fmt(p50Floor, 3)} ms`, 'against (a)': fmt(p50Floor / a.unloaded.p50) },
  ]);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

function row(r: Result): Record<string, string> {
  return {
    server: r.name,
    [`msg/s @${IN_FLIGHT}`]: fmt(r.loaded.rate, 0),
    [`p50 ms @${IN_FLIGHT}`]: fmt(r.loaded.p50, 2),
    'unloaded p50 ms': fmt(r.unloaded.p50, 3),
    'unloaded p99 ms': fmt(r.unloaded.p99, 3),
    'server CPU µs/msg': r.cpuPerMessage.map((us) => fmt(us, 0)).join(' + '),
    'client CPU µs/msg': fmt(r.clientCpuPerMessage, 0),
  };
}

/** (c): the echo daemon first, then the gateway that bridges to it. */
async function measureBridge(): Promise<Result> {
  const echo = await startChild<{ port: number; url: string }>('./a2a-bridge-peer.ts', ['echo']);
  try {
    return await measureChild('(c) our gateway → toq → echo daemon → toq → gateway', () => startChild<{ url: string }>('./a2a-bridge-peer.ts', ['gw', String(echo.info.port)]), Math.min(CONCURRENT, 1_000), [echo]);
  } finally {
    await echo.stop();
  }
}

/** `others`: more server processes of the case, whose CPU time counts too. */
async function measureChild(name: string, start: () => Promise<BenchChild<{ url: string }>>, concurrent = CONCURRENT, others: ReadonlyArray<BenchChild<unknown>> = []): Promise<Result> {
  const child = await start();
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const send = () => sendMessage(agent, child.info.url);
    const first = await send();
    if (!first.includes('echo: bench') || !first.includes('TASK_STATE_COMPLETED')) throw new Error(`${name}: unexpected answer ${first.slice(0, 300)}`);
    await timeConcurrent(WARMUP, IN_FLIGHT, send); // JIT, pools, sessions
    const unloaded = await timeSequential(SEQUENTIAL, send);
    const servers = [child, ...others];
    const cpuBefore = await Promise.all(servers.map((c) => c.cpuMicros()));
    const clientBefore = process.cpuUsage();
    const loaded = await timeConcurrent(concurrent, IN_FLIGHT, send);
    const client = process.cpuUsage(clientBefore);
    const cpuAfter = await Promise.all(servers.map((c) => c.cpuMicros()));
    return {
      name,
      loaded,
      unloaded,
      cpuPerMessage: cpuAfter.map((after, i) => (after - cpuBefore[i]!) / concurrent),
      clientCpuPerMessage: (client.user + client.system) / concurrent,
    };
  } finally {
    agent.destroy();
    await child.stop();
  }
}

/** One blocking SendMessage; resolves with the body once it names the completed task. */
function sendMessage(agent: Agent, url: string): Promise<string> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'bench' }] } } });
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'a2a-version': '1.0', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 || !text.includes('TASK_STATE_COMPLETED')) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
