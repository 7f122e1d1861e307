// Hosted A2A upstream agents (DESIGN §5.3): `[agents.helper] a2a = "<url>"` makes toq://host/helper
// a toq agent answered by a real A2A agent (the SDK's server on loopback). A toq peer talks to it
// over threads: replies, streams, input-required, multi-turn contexts, thread.close, an
// unreachable upstream, and a restart with a request still pending.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { parseEnvelope, verifyEnvelope, type Envelope } from '../../src/protocol/envelope.js';
import { decodePrefixed, publicKeyObjectFromRaw } from '../../src/protocol/ed25519.js';
import { startTestUpstream, type TestUpstream } from '../helpers/a2a-upstream.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemons.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';
import { freeLoopbackPort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const daemons: TestDaemon[] = [];
const gateways: TestGateway[] = [];
const upstreams: TestUpstream[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(daemons.splice(0).map((d) => d.cleanup()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

type Body = { text?: string; parts?: unknown[]; a2a?: { state?: string }; stream_id?: string; data?: { text?: string } };
const bodyOf = (e: Envelope): Body => e.body as Body;

async function setup(agentToml: string): Promise<{ daemon: TestDaemon; peer: TestGateway; helper: string }> {
  const daemon = await startTestDaemon('alice', { mode: 'open', configToml: `host = "127.0.0.1"\n[agents.helper]\n${agentToml}` });
  daemons.push(daemon);
  const peer = await startTestGateway('peer', { host: '127.0.0.1' });
  gateways.push(peer);
  return { daemon, peer, helper: daemon.address.replace(/\/alice$/, '/helper') };
}

/** The peer's inbox entries that answer request `id`. */
const repliesTo = (peer: TestGateway, id: string): Envelope[] => peer.inbox.filter((e) => e.reply_to === id);

describe('A2A upstream agents', () => {
  it('answers on the thread, keeps one upstream context per thread and carries the toq provenance', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const { peer, helper } = await setup(`a2a = "${upstream.url}"\nauth = "Bearer sekret"\n`);

    const first = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'hi' }, thread_id: 't1' });
    expect(first.status).toBe('acked');
    const reply = await until(() => repliesTo(peer, first.id)[0]);
    const [call] = await upstream.waitForCalls(1);
    expect(reply).toMatchObject({ type: 'message.send', from: helper, thread_id: 't1', reply_to: first.id });
    expect(bodyOf(reply).text).toBe(`echo: hi ctx=${call!.contextId}`);
    expect(bodyOf(reply).parts).toEqual([{ text: `echo: hi ctx=${call!.contextId}`, mediaType: 'text/plain' }]);
    expect(bodyOf(reply).a2a).toBeUndefined();
    expect(call!.authorization).toBe('Bearer sekret');

    // metadata.toq: who spoke, and the signed envelope itself, which still verifies.
    const toq = call!.metadata?.['toq'] as { from: string; publicKey: string; envelopeId: string; threadId: string; verified: boolean; envelope: unknown };
    const peerKey = peer.agents[0]!.identity.publicKeyText;
    expect(toq).toMatchObject({ from: peer.addressOf(), publicKey: peerKey, envelopeId: first.id, threadId: 't1', verified: true });
    const original = parseEnvelope(JSON.stringify(toq.envelope));
    expect(original.id).toBe(first.id);
    expect(verifyEnvelope(original, publicKeyObjectFromRaw(decodePrefixed(peerKey, 32, "public key")))).toBe(true);

    const second = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'again' }, thread_id: 't1' });
    const other = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'elsewhere' }, thread_id: 't2' });
    await until(() => repliesTo(peer, second.id)[0]);
    await until(() => repliesTo(peer, other.id)[0]);
    const calls = await upstream.waitForCalls(3);
    const byText = new Map(calls.map((c) => [c.text, c]));
    expect(byText.get('again')!.contextId).toBe(call!.contextId);
    expect(byText.get('elsewhere')!.contextId).not.toBe(call!.contextId);
  });

  it('streams artifact chunks as message.stream.chunk and ends with the whole text', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const { peer, helper } = await setup(`a2a = "${upstream.url}"\n`);

    const sent = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'stream' }, thread_id: 's1' });
    const end = await until(() => repliesTo(peer, sent.id).find((e) => e.type === 'message.stream.end'));
    const replies = repliesTo(peer, sent.id);
    const chunks = replies.filter((e) => e.type === 'message.stream.chunk');
    expect(chunks.map((c) => bodyOf(c).data?.text)).toEqual(['one ', 'two ', 'three']);
    expect(bodyOf(end).data?.text).toBe('one two three');
    expect(new Set(replies.map((e) => bodyOf(e).stream_id)).size).toBe(1);
    expect(replies.every((e) => e.thread_id === 's1')).toBe(true);
    expect(replies.filter((e) => e.type === 'message.send')).toEqual([]);
  });

  it('relays input-required and sends the follow-up to the same upstream task', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const { peer, helper } = await setup(`a2a = "${upstream.url}"\n`);

    const ask = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'ask' }, thread_id: 'q1' });
    const question = await until(() => repliesTo(peer, ask.id)[0]);
    expect(bodyOf(question)).toMatchObject({ text: 'what is your name?', a2a: { state: 'input-required' } });

    const answer = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'Ada' }, thread_id: 'q1' });
    const done = await until(() => repliesTo(peer, answer.id)[0]);
    expect(bodyOf(done).text).toBe('hello Ada');
    expect(bodyOf(done).a2a).toBeUndefined();
    const [first, second] = await upstream.waitForCalls(2);
    expect(second!.requestTaskId).toBe(first!.taskId);
    expect(second!.contextId).toBe(first!.contextId);
  });

  it('polls GetTask when the upstream does not stream', async () => {
    const upstream = await startTestUpstream({ streaming: false });
    upstreams.push(upstream);
    const { peer, helper } = await setup(`a2a = "${upstream.url}"\n`);
    const sent = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'stream' }, thread_id: 'n1' });
    const reply = await until(() => repliesTo(peer, sent.id)[0]);
    // A blocking SendMessage returns the completed task: one reply with the whole artifact.
    expect(reply.type).toBe('message.send');
    expect(bodyOf(reply).text).toBe('one two three');
  });

  it('cancels the open upstream task on thread.close and sends no reply for it', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const { peer, helper } = await setup(`a2a = "${upstream.url}"\n`);

    const slow = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'slow' }, thread_id: 'c1' });
    const [call] = await upstream.waitForCalls(1);
    const close = await peer.endpoint.send(helper, { type: 'thread.close', thread_id: 'c1' });
    expect(close.status).toBe('acked');
    await until(() => (upstream.canceled.includes(call!.taskId) ? true : undefined));
    upstream.release();
    // A later exchange on another thread is answered; the closed one never is.
    const later = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'later' }, thread_id: 'c2' });
    await until(() => repliesTo(peer, later.id)[0]);
    expect(repliesTo(peer, slow.id)).toEqual([]);
  });

  it('explains an unreachable upstream to the sender: system.error naming the request, then a message.send', async () => {
    const port = await freeLoopbackPort();
    const daemon = await startTestDaemon('alice', { mode: 'open', configToml: `host = "127.0.0.1"\n[agents.helper]\na2a = "http://127.0.0.1:${port}"\n` });
    daemons.push(daemon);
    const peerLog: Array<Record<string, unknown>> = [];
    const peer = await startTestGateway('peer', { host: '127.0.0.1', log: pino({ level: 'info' }, { write: (line: string) => void peerLog.push(JSON.parse(line) as Record<string, unknown>) }) });
    gateways.push(peer);
    const helper = daemon.address.replace(/\/alice$/, '/helper');
    const sent = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'anyone?' }, thread_id: 'd1' });
    expect(sent.status).toBe('acked');
    const reply = await until(() => repliesTo(peer, sent.id)[0]);
    expect(bodyOf(reply).a2a?.state).toBe('failed');
    expect(bodyOf(reply).text).toMatch(/^A2A agent "helper" could not answer: .+/);
    // The system.error arrived after the ack (so a sender does not take it for a refusal).
    const error = await until(() => peerLog.find((l) => l['msg'] === 'system.error from peer' && l['related'] === sent.id));
    expect(error['code']).toBe('agent_unavailable');
  });

  it('message.cancel from the peer cancels the upstream task; the canceled request gets no reply', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const { peer, helper } = await setup(`a2a = "${upstream.url}"\n`);
    const slow = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'slow' }, thread_id: 'x1' });
    const [call] = await upstream.waitForCalls(1);
    // Sent as soon as the upstream has the task: before or after the bridge heard its id, it is canceled.
    const cancel = await peer.endpoint.send(helper, { type: 'message.cancel', body: { cancel_id: slow.id }, thread_id: 'x1' });
    expect(cancel.status).toBe('sent');
    await until(() => (upstream.canceled.includes(call!.taskId) ? true : undefined));
    upstream.release();
    const later = await peer.endpoint.send(helper, { type: 'message.send', body: { text: 'later' }, thread_id: 'x1' });
    await until(() => repliesTo(peer, later.id)[0]);
    expect(repliesTo(peer, slow.id)).toEqual([]);
  });

  it('resumes a pending request after a restart', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const peer = await startTestGateway('peer', { host: '127.0.0.1' });
    gateways.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'toq-a2a-upstream-'));
    writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\nconnection_mode = "open"\n[agents.helper]\na2a = "${upstream.url}"\n`);
    const start = (): Promise<Daemon> =>
      startDaemon({ configDir: dir, log: pino({ level: process.env['TEST_LOG'] ?? 'silent' }), port: 0, bindAddress: '127.0.0.1', overrides: { agentName: 'alice' }, outboxBackoffMs: [50, 100, 200] });
    let daemon = await start();
    cleanups.push(async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const sent = await peer.endpoint.send(daemon.address.replace(/\/alice$/, '/helper'), { type: 'message.send', body: { text: 'slow' }, thread_id: 'r1' });
    expect(sent.status).toBe('acked');
    const [call] = await upstream.waitForCalls(1);
    // Stop once the gateway has durably noted the upstream task (else the restart asks again).
    const db = new Database(join(dir, 'gateway.db'), { readonly: true });
    await until(() => (db.prepare<[], { task_id: string }>('SELECT task_id FROM a2a_upstream_requests').get()?.task_id === call!.taskId ? true : undefined));
    db.close();
    await daemon.stop();
    daemon = await start();
    // The SDK server stores a task's progress only while a stream consumes it: release the task
    // once the restarted gateway has re-attached (SubscribeToTask), or its completion is lost.
    await until(() => (upstream.subscribed.length > 0 ? true : undefined));
    upstream.release();
    const reply = await until(() => repliesTo(peer, sent.id)[0]);
    expect(bodyOf(reply).text).toBe('slow done');
    // The upstream was asked once: the restarted gateway followed the task it already had.
    expect(upstream.calls).toHaveLength(1);
  });
});

describe('outbound A2A from the local API', () => {
  it('POST /v1/messages to an http URL returns the reply and records it on the thread', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const daemon = await startTestDaemon('alice', { configToml: 'host = "127.0.0.1"\na2a_webhook_allow_private = true\n' });
    daemons.push(daemon);
    const post = (body: unknown) => fetch(`${daemon.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const res = await post({ to: upstream.url, body: { text: 'hi' }, thread_id: 'o1', a2a_auth: 'tok' });
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, unknown>;
    const [call] = await upstream.waitForCalls(1);
    expect(json).toMatchObject({ status: 'delivered', thread_id: 'o1', a2a: true, reply: `echo: hi ctx=${call!.contextId}` });
    expect(call!.authorization).toBe('Bearer tok');

    const thread = (await (await fetch(`${daemon.url}/v1/threads/o1`)).json()) as { messages: Array<{ from: string; body: Body }> };
    expect(thread.messages).toHaveLength(1);
    expect(thread.messages[0]).toMatchObject({ from: upstream.url, body: { text: `echo: hi ctx=${call!.contextId}` } });

    // The same thread continues the same remote context.
    await post({ to: upstream.url, body: { text: 'more' }, thread_id: 'o1' });
    const calls = await upstream.waitForCalls(2);
    expect(calls[1]!.contextId).toBe(call!.contextId);

    const missingText = await post({ to: upstream.url, body: { note: 'no text' } });
    expect(missingText.status).toBe(400);
  });

  it('refuses loopback targets unless a2a_webhook_allow_private is set', async () => {
    const upstream = await startTestUpstream();
    upstreams.push(upstream);
    const daemon = await startTestDaemon('alice', { configToml: 'host = "127.0.0.1"\n' });
    daemons.push(daemon);
    const res = await fetch(`${daemon.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: upstream.url, body: { text: 'hi' } }) });
    expect(res.status).toBe(502);
    const json = (await res.json()) as { error?: string; message?: string };
    expect(JSON.stringify(json)).toContain('a2a_send_failed');
    expect(JSON.stringify(json)).toContain('loopback');
    expect(upstream.calls).toEqual([]);
  });
});

