// `npm run bench -- wire`: acked messages/s and latency for one persistent toq session on
// loopback (sender here, receiver in its own process, up to 16 messages in flight), next to two
// anchors measured in the same run: the crypto floor (sign + verify + canonicalization per message
// per side) and a bare TLS ping-pong of the same frame size.

import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import pino from 'pino';
import { startGateway } from '../src/daemon/gateway.js';
import { generateIdentity } from '../src/protocol/ed25519.js';
import { serializeEnvelope } from '../src/protocol/envelope.js';
import { encodeFrame, FrameDecoder } from '../src/protocol/frame.js';
import { toqClientTlsOptions } from '../src/transport/tls-options.js';
import { startChild } from './child.js';
import { measureCryptoFloor, SAMPLE_BODY, sampleEnvelope } from './crypto-floor.js';
import { fmt, printTable, summarize } from './stats.js';

const LOADED_MESSAGES = Number(process.env['BENCH_WIRE_MESSAGES'] ?? 20_000);
const UNLOADED_MESSAGES = 1_000;
const IN_FLIGHT = 16;

export async function runWireBench(): Promise<void> {
  console.log(`wire bench: ${LOADED_MESSAGES} messages, ${IN_FLIGHT} in flight; node ${process.version}`);
  const identity = generateIdentity();
  const frameBytes = serializeEnvelope(sampleEnvelope(identity)).length;

  const floor = measureCryptoFloor(identity);
  const tlsPing = await measureTlsPingPong(frameBytes);

  const receiver = await startChild<{ port: number; address: string }>('./wire-receiver.ts');
  const sender = await startGateway({
    port: 0,
    bindAddress: '127.0.0.1',
    agents: [{ name: 'alice', identity }],
    connectionMode: 'open',
    log: pino({ level: 'warn' }),
  });
  try {
    const target = receiver.info.address;
    const send = (): Promise<unknown> => sender.endpoint.send(target, { type: 'message.send', body: SAMPLE_BODY, thread_id: 'bench' });
    // Warm-up: session setup, JIT.
    for (let i = 0; i < 500; i++) await send();

    const unloaded: number[] = [];
    for (let i = 0; i < UNLOADED_MESSAGES; i++) {
      const t0 = performance.now();
      await send();
      unloaded.push(performance.now() - t0);
    }

    const loaded: number[] = [];
    let started = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (started < LOADED_MESSAGES) {
        started++;
        const s = performance.now();
        await send();
        loaded.push(performance.now() - s);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const seconds = (performance.now() - t0) / 1000;
    const rate = loaded.length / seconds;

    const u = summarize(unloaded);
    const l = summarize(loaded);
    printTable(`toq wire: one persistent session, frame ${frameBytes} bytes`, [
      { measure: 'crypto floor (sign+verify+canonicalize per message per side)', value: `${fmt(floor.perSecond, 0)} msg/s` },
      { measure: 'bare TLS ping-pong p50 (same frame size)', value: `${fmt(tlsPing.p50, 3)} ms` },
      { measure: `acked throughput (${IN_FLIGHT} in flight)`, value: `${fmt(rate, 0)} msg/s` },
      { measure: 'loaded latency p50 / p99', value: `${fmt(l.p50, 3)} / ${fmt(l.p99, 3)} ms` },
      { measure: 'unloaded latency p50 / p99', value: `${fmt(u.p50, 3)} / ${fmt(u.p99, 3)} ms` },
    ]);
    printTable('ratios (targets from issue 2)', [
      { ratio: 'throughput / crypto floor', value: fmt(rate / floor.perSecond), target: '>= 0.50' },
      { ratio: 'unloaded p50 / TLS ping-pong p50', value: fmt(u.p50 / tlsPing.p50), target: '<= 3.00' },
    ]);
  } finally {
    await sender.close();
    await receiver.stop();
  }
}

/** Sequential request/response of one frame over one TLS connection to a child echo server. */
async function measureTlsPingPong(frameBytes: number): Promise<{ p50: number; p99: number }> {
  const echo = await startChild<{ port: number }>('./tls-echo.ts');
  const socket = tlsConnect({ host: '127.0.0.1', port: echo.info.port, ...toqClientTlsOptions() });
  socket.setNoDelay(true);
  await once(socket, 'secureConnect');
  const frame = encodeFrame(Buffer.alloc(frameBytes, 0x61));
  const decoder = new FrameDecoder();
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    if (decoder.push(chunk).length > 0) wake?.();
  });
  const roundTrip = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      socket.write(frame);
    });
  for (let i = 0; i < 500; i++) await roundTrip();
  const samples: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const t0 = performance.now();
    await roundTrip();
    samples.push(performance.now() - t0);
  }
  socket.destroy();
  await echo.stop();
  return summarize(samples);
}
