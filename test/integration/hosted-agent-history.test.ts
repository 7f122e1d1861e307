// Hosted agents' own records (DESIGN §3): a toq peer's message to a hosted A2A upstream agent is
// recorded in that agent's history, its answer sits in the outbox under that agent's name, and
// neither reaches the local agent's history, threads or SSE stream. The local API reads them with
// `?agent=<name>` (404 for an unknown name). Also: a hosted receiver failing before the ack leaves
// nothing recorded, so the redelivery is delivered (and recorded) once.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/protocol/envelope.js';
import { startTestUpstream, type TestUpstream } from '../helpers/a2a-upstream.js';
import { runCliCaptured, type CliRun } from '../helpers/cli-run.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemons.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';
import { ManualPeer } from '../helpers/manual-peer.js';
import { sseData } from '../helpers/sse-data.js';
import { until } from '../helpers/until.js';

const daemons: TestDaemon[] = [];
const gateways: TestGateway[] = [];
const upstreams: TestUpstream[] = [];
const peers: ManualPeer[] = [];
const streams: AbortController[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  for (const p of peers.splice(0)) p.close();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(daemons.splice(0).map((d) => d.cleanup()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

interface Message {
  id: string;
  type: string;
  from: string;
  thread_id?: string;
  reply_to?: string;
  body?: { text?: string };
  timestamp: string;
}
interface OutboxJson {
  id: string;
  agent: string;
  to: string;
  thread_id?: string;
  reply_to?: string;
  body?: { text?: string };
}

async function getJson<T>(url: string, expectedStatus = 200): Promise<T> {
  const resp = await fetch(url);
  expect(resp.status).toBe(expectedStatus);
  expect(resp.headers.get('content-type')).toContain('application/json');
  return (await resp.json()) as T;
}

/** Collects the local SSE stream (GET /v1/messages) in the background. */
async function collectSse(daemon: TestDaemon): Promise<{ events: Message[]; waitFor(id: string): Promise<void> }> {
  const controller = new AbortController();
  streams.push(controller);
  const before = daemon.bus.subscriberCount;
  const resp = await fetch(`${daemon.url}/v1/messages`, { signal: controller.signal });
  expect(resp.headers.get('content-type')).toContain('text/event-stream');
  const events: Message[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    try {
      for await (const event of sseData(resp)) {
        events.push(event as Message);
        for (const wake of [...waiters]) wake();
      }
    } catch {
      // Aborted by afterEach: the stream is done.
    }
  })();
  // Subscribed once the route has registered its listener (no sleep needed).
  await until(() => (daemon.bus.subscriberCount > before ? true : undefined));
  return {
    events,
    waitFor: (id) => until(() => (events.some((e) => e.id === id) ? true : undefined)).then(() => undefined),
  };
}

/** The CLI in-process against the daemon of this process (its toq.pid and state.json name us). */
async function toq(daemon: TestDaemon, args: string[]): Promise<CliRun> {
  await until(() => (existsSync(join(daemon.dir, 'state.json')) ? true : undefined));
  return runCliCaptured([...args, '--config-dir', daemon.dir], { env: { HOME: join(daemon.dir, 'home') }, cwd: daemon.dir });
}

describe("hosted agents' history", () => {
  it("records a hosted A2A upstream agent's traffic under its own name, never in the local agent's history or SSE stream", async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const daemon = await startTestDaemon('alice', { mode: 'open', configToml: `host = "127.0.0.1"\n[agents.helper]\na2a = "${upstream.url}"\n` });
    daemons.push(daemon);
    const peer = await startTestGateway('peer', { host: '127.0.0.1' });
    gateways.push(peer);
    const helper = daemon.address.replace(/\/alice$/, '/helper');
    const sse = await collectSse(daemon);

    const sent = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'hi helper' }, thread_id: 'h1' });
    expect(sent.status).toBe('acked');
    const reply = await until<Envelope>(() => peer.inbox.find((e) => e.reply_to === sent.id));
    expect(reply.from).toBe(helper);

    // Then a message for the local agent: it is published after the hosted one was committed and
    // acked, so the SSE events up to it show whether anything of helper's leaked onto the stream.
    const local = await peer.endpoint.send(daemon.address, { type: 'message.send', body: { text: 'hi alice' }, thread_id: 'a1' });
    expect(local.status).toBe('acked');
    await sse.waitFor(local.id);
    expect(sse.events.map((e) => e.id)).toEqual([local.id]);

    // The hosted agent's history: the peer's message, in the reference's IncomingMessage shape.
    const helperHistory = await getJson<{ messages: Message[] }>(`${daemon.url}/v1/messages/history?agent=helper`);
    expect(helperHistory.messages).toEqual([
      expect.objectContaining({ id: sent.id, type: 'message.send', from: peer.addressOf(), thread_id: 'h1', body: { text: 'hi helper' } }),
    ]);
    // The same filters as the local history apply within it.
    expect((await getJson<{ messages: Message[] }>(`${daemon.url}/v1/messages/history?agent=helper&from=nobody`)).messages).toEqual([]);
    expect((await getJson<{ messages: Message[] }>(`${daemon.url}/v1/messages/history?agent=helper&limit=1`)).messages.map((m) => m.id)).toEqual([sent.id]);

    // The local agent's history (default, and named explicitly) has only its own message.
    const aliceHistory = await getJson<{ messages: Message[] }>(`${daemon.url}/v1/messages/history`);
    expect(aliceHistory.messages.map((m) => m.id)).toEqual([local.id]);
    expect(await getJson(`${daemon.url}/v1/messages/history?agent=alice`)).toEqual(aliceHistory);

    // Threads read the same records.
    expect(await getJson(`${daemon.url}/v1/threads/h1`)).toEqual({ thread_id: 'h1', messages: [] });
    const thread = await getJson<{ thread_id: string; messages: Message[] }>(`${daemon.url}/v1/threads/h1?agent=helper`);
    expect(thread.messages.map((m) => m.id)).toEqual([sent.id]);
    expect((await getJson<{ messages: Message[] }>(`${daemon.url}/v1/threads/a1?agent=helper`)).messages).toEqual([]);

    // The answer went out through the outbox from helper, as the local agent's sends do.
    const helperOutbox = await getJson<{ entries: OutboxJson[] }>(`${daemon.url}/v1/outbox?agent=helper`);
    expect(helperOutbox.entries).toEqual([expect.objectContaining({ id: reply.id, agent: 'helper', to: peer.addressOf(), thread_id: 'h1', reply_to: sent.id, body: reply.body })]);
    expect((await getJson<{ entries: OutboxJson[] }>(`${daemon.url}/v1/outbox?agent=alice`)).entries).toEqual([]);
    expect((await getJson<{ entries: OutboxJson[] }>(`${daemon.url}/v1/outbox`)).entries.map((e) => e.id)).toEqual([reply.id]);

    // The stream still holds only alice's message.
    expect(sse.events.map((e) => e.id)).toEqual([local.id]);

    // `toq messages --agent helper` reads the same records; without it, alice's.
    const cli = await toq(daemon, ['messages', '--agent', 'helper', '--json']);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { messages: Message[] }).messages.map((m) => m.id)).toEqual([sent.id]);
    expect((await toq(daemon, ['messages', '--agent', 'helper'])).stdout).toBe(`[${helperHistory.messages[0]!.timestamp}] ${peer.addressOf()}: hi helper\n`);
    expect((await toq(daemon, ['messages'])).stdout).toContain('hi alice');
    const unknown = await toq(daemon, ['messages', '--agent', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no agent named "nobody"');
  });

  it('answers an unknown agent with 404 in the local API error shape', async () => {
    const daemon = await startTestDaemon('alice', { mode: 'open', configToml: '[agents.helper]\ntoq = "toq://127.0.0.1:9/helper"\n' });
    daemons.push(daemon);
    const error = { error: { code: 'not_found', message: 'no agent named "nobody" on this gateway' } };
    expect(await getJson(`${daemon.url}/v1/messages/history?agent=nobody`, 404)).toEqual(error);
    expect(await getJson(`${daemon.url}/v1/threads/t?agent=nobody`, 404)).toEqual(error);
    expect(await getJson(`${daemon.url}/v1/outbox?agent=nobody`, 404)).toEqual(error);
    expect(await getJson(`${daemon.url}/v1/messages/history?agent=`, 400)).toMatchObject({ error: { code: 'invalid_request' } });
    // A configured hosted agent with no traffic yet is known: an empty history, not a 404.
    expect(await getJson(`${daemon.url}/v1/messages/history?agent=helper`)).toEqual({ messages: [] });
  });

  it('records nothing when the hosted receiver fails, so the redelivery is delivered and recorded once', async () => {
    // A toq upstream agent without a2a_enabled gets no receiver from the daemon: the test plays it.
    const daemon = await startTestDaemon('alice', { mode: 'open', configToml: '[agents.bob]\ntoq = "toq://127.0.0.1:9/bob"\n' });
    daemons.push(daemon);
    const received: string[] = [];
    let isFailing = true;
    daemon.hosted.register('bob', async (envelope) => {
      if (isFailing) throw new Error('receiver could not commit');
      received.push(envelope.id);
    });
    const peer = await ManualPeer.connect({ port: daemon.port, targetAgent: 'bob' });
    peers.push(peer);
    const peerKey = peer.identity.publicKeyText;
    const history = (): Promise<{ messages: Message[] }> => getJson(`${daemon.url}/v1/messages/history?agent=bob`);

    const first = peer.send({ type: 'message.send', body: { text: 'hello bob' }, thread_id: 'r1' });
    const refused = await peer.waitFor((e) => e.type === 'system.error' && (e.body as { related_id?: string }).related_id === first.id);
    expect((refused.body as { code: string }).code).toBe('resource_exhausted');
    expect(daemon.store.hasSeen(peerKey, first.id)).toBe(false);
    expect((await history()).messages).toEqual([]);

    // The sender retries the same id: now delivered, acked and recorded.
    isFailing = false;
    peer.send({ type: 'message.send', id: first.id, body: { text: 'hello bob' }, thread_id: 'r1' });
    await peer.waitForAck(first.id);
    expect(received).toEqual([first.id]);
    expect((await history()).messages.map((m) => m.id)).toEqual([first.id]);

    // Once more: acked as a duplicate, not delivered or recorded again.
    const acks = (): number => peer.received.filter((e) => e.type === 'message.ack' && (e.body as { ack_id?: string }).ack_id === first.id).length;
    peer.send({ type: 'message.send', id: first.id, body: { text: 'hello bob' }, thread_id: 'r1' });
    await until(() => (acks() === 2 ? true : undefined));
    expect(received).toEqual([first.id]);
    expect((await history()).messages.map((m) => m.id)).toEqual([first.id]);
    expect((await getJson<{ messages: Message[] }>(`${daemon.url}/v1/messages/history`)).messages).toEqual([]);
  });
});
