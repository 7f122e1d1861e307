// The official SDKs against our daemon, unchanged: they are not on the registry, so this client
// makes exactly the HTTP calls toqprotocol/toq-sdk-node (src/client.ts) and radixof2/toq-sdk-python
// (src/toq/_client.py) make — same methods, paths, query strings, headers and bodies, including
// their quirks (the Python SDK puts raw `ed25519:` keys with `/` and `+` in paths; the Node SDK's
// revoke posts no body at all).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemons.js';
import { sseData } from '../helpers/sse-data.js';
import { until } from '../helpers/until.js';

let alice: TestDaemon;
let bob: TestDaemon;

beforeAll(async () => {
  alice = await startTestDaemon('alice', { mode: 'approval' });
  bob = await startTestDaemon('bob', { mode: 'open' });
});
afterAll(async () => {
  await Promise.all([alice?.cleanup(), bob?.cleanup()]);
});

/** The Node SDK's request(): JSON body with Content-Type, params via URLSearchParams, any non-2xx is an error. */
async function nodeSdk(base: string, method: string, path: string, options: { json?: unknown; params?: Record<string, string | number> } = {}): Promise<Response> {
  let full = `${base}${path}`;
  if (options.params) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(options.params)) qs.set(k, String(v));
    full += `?${qs}`;
  }
  const init: RequestInit = { method };
  if (options.json !== undefined) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(options.json);
  }
  const resp = await fetch(full, init);
  if (!resp.ok) throw new Error(`HTTP ${resp.status}: ${await resp.text()}`);
  return resp;
}

/** The Python SDK's send(): wait/timeout as query params (httpx), JSON body. */
async function pythonSend(base: string, to: string, text: string, wait: boolean): Promise<Record<string, unknown>> {
  const resp = await fetch(`${base}/v1/messages?wait=${String(wait).toLowerCase()}&timeout=30`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, body: { text } }),
  });
  expect(resp.status).toBeLessThan(300);
  return (await resp.json()) as Record<string, unknown>;
}

/** Reads SSE `data: ` lines like the Node SDK's messages() generator. */
async function* sse(base: string, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  const resp = await fetch(`${base}/v1/messages`, { signal });
  expect(resp.headers.get('content-type')).toContain('text/event-stream');
  for await (const event of sseData(resp)) yield event as Record<string, unknown>;
}

describe('SDK calls against the daemon', () => {
  it('health, status, card, config, connections, discover/local (Node and Python SDK shapes)', async () => {
    expect(await (await nodeSdk(bob.url, 'GET', '/v1/health')).text()).toBe('ok');
    const status = (await (await nodeSdk(bob.url, 'GET', '/v1/status')).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'running', address: bob.address, connection_mode: 'open', error_count: 0, backpressure_active: false });
    expect(String(status['public_key'])).toMatch(/^ed25519:/);
    const card = (await (await nodeSdk(bob.url, 'GET', '/v1/card')).json()) as Record<string, unknown>;
    expect(card).toMatchObject({ name: 'bob', protocol_version: '0.1', capabilities: [], accept_files: false, max_message_size: 1048576 });
    const config = (await (await nodeSdk(bob.url, 'GET', '/v1/config')).json()) as { config: Record<string, unknown> };
    expect(config.config['max_message_size']).toBe(1048576);
    expect(await (await nodeSdk(bob.url, 'GET', '/v1/discover/local')).json()).toEqual({ agents: [] });
    expect(await (await nodeSdk(bob.url, 'GET', '/v1/connections')).json()).toEqual({ connections: [] });
  });

  it('send with wait=true (Node SDK default) is delivered, lands in history, and the SSE listener can reply', async () => {
    const controller = new AbortController();
    const stream = sse(bob.url, controller.signal);
    const first = stream.next(); // subscribe before sending
    await new Promise((resolve) => setTimeout(resolve, 50));
    const resp = await nodeSdk(alice.url, 'POST', '/v1/messages', {
      json: { to: bob.address, body: { text: 'hello bob' }, thread_id: 'sdk-thread' },
      params: { wait: 'true', timeout: 30 },
    });
    expect(resp.status).toBe(200);
    const sent = (await resp.json()) as Record<string, unknown>;
    expect(sent).toMatchObject({ status: 'delivered', thread_id: 'sdk-thread' });
    const event = (await first).value!;
    expect(event).toMatchObject({ id: sent['id'], type: 'message.send', from: alice.address, body: { text: 'hello bob' }, thread_id: 'sdk-thread' });

    // message.reply(text) → send(data.from, text, { thread_id, reply_to: data.id }) — through
    // alice's approval mode, because alice opened the thread.
    const reply = await nodeSdk(bob.url, 'POST', '/v1/messages', {
      json: { to: event['from'], body: { text: 'hi alice' }, thread_id: event['thread_id'], reply_to: event['id'] },
      params: { wait: 'true', timeout: 30 },
    });
    expect(reply.status).toBe(200);
    controller.abort();

    const history = (await (await nodeSdk(alice.url, 'GET', '/v1/messages/history', { params: { limit: '10' } })).json()) as { messages: Array<Record<string, unknown>> };
    expect(history.messages.map((m) => m['body'])).toContainEqual({ text: 'hi alice' });
    const bobHistory = (await (await nodeSdk(bob.url, 'GET', '/v1/messages/history')).json()) as { messages: Array<Record<string, unknown>> };
    expect(bobHistory.messages.find((m) => m['id'] === sent['id'])).toMatchObject({ from: alice.address, thread_id: 'sdk-thread', content_type: 'application/json' });
  });

  it('send with wait=false answers 202 queued (Python SDK form) and delivers', async () => {
    const result = await pythonSend(alice.url, bob.address, 'queued one', false);
    expect(result).toMatchObject({ status: 'queued' });
    const deadline = Date.now() + 5_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const h = (await (await fetch(`${bob.url}/v1/messages/history?limit=50`)).json()) as { messages: Array<{ id: string }> };
      found = h.messages.some((m) => m.id === result['id']);
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).toBe(true);
    // Bob's history shows the message once committed; alice hears the ack once it is on bob's disk.
    const delivered = async () => ((await (await fetch(`${alice.url}/v1/outbox?status=delivered`)).json()) as { entries: Array<{ id: string }> }).entries.find((e) => e.id === result['id']);
    await until(delivered);
  });

  it('streams start, chunk and end (Node SDK)', async () => {
    const start = (await (await nodeSdk(alice.url, 'POST', '/v1/stream/start', { json: { to: bob.address } })).json()) as Record<string, string>;
    expect(start['stream_id']).toMatch(/^[0-9a-f-]{36}$/);
    for (const text of ['a', 'b']) {
      const chunk = (await (await nodeSdk(alice.url, 'POST', '/v1/stream/chunk', { json: { stream_id: start['stream_id'], text } })).json()) as Record<string, string>;
      expect(chunk['chunk_id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const end = (await (await nodeSdk(alice.url, 'POST', '/v1/stream/end', { json: { stream_id: start['stream_id'], close_thread: true } })).json()) as Record<string, string>;
    expect(end['chunk_id']).toMatch(/^[0-9a-f-]{36}$/);
    await expect(nodeSdk(alice.url, 'POST', '/v1/stream/chunk', { json: { stream_id: start['stream_id'], text: 'late' } })).rejects.toThrow(/HTTP 404: .*not_found/);
    // The stream's end and close were recorded at bob's: the thread answers with them (the
    // reference always answers an empty list here).
    const thread = (await (await nodeSdk(bob.url, 'GET', `/v1/threads/${start['thread_id']}`)).json()) as { thread_id: string; messages: Array<{ type: string }> };
    expect(thread.thread_id).toBe(start['thread_id']);
    expect(thread.messages.map((m) => m.type)).toEqual(['message.stream.end', 'thread.close']);
    const none = (await (await nodeSdk(alice.url, 'GET', `/v1/threads/no-such-thread`)).json()) as Record<string, unknown>;
    expect(none).toEqual({ thread_id: 'no-such-thread', messages: [] });
  });

  it('peers, block/unblock by JSON (Node SDK) and by raw key path (Python SDK), permissions', async () => {
    const peers = (await (await nodeSdk(bob.url, 'GET', '/v1/peers')).json()) as { peers: Array<Record<string, unknown>> };
    const alicePeer = peers.peers.find((p) => p['address'] === alice.address)!;
    expect(alicePeer).toMatchObject({ status: expect.stringMatching(/connected|seen/) });
    const key = String(alicePeer['public_key']);

    await nodeSdk(bob.url, 'POST', '/v1/block', { json: { key } });
    let perms = (await (await nodeSdk(bob.url, 'GET', '/v1/permissions')).json()) as { blocked: unknown[] };
    expect(perms.blocked).toContainEqual({ type: 'key', value: key });
    await nodeSdk(bob.url, 'DELETE', '/v1/block', { json: { key } });

    // Python SDK: `"/v1/peers/%s/block" % public_key`, no encoding, no body.
    const raw = await fetch(`${bob.url}/v1/peers/${key}/block`, { method: 'POST' });
    expect(raw.status).toBe(200);
    perms = (await (await nodeSdk(bob.url, 'GET', '/v1/permissions')).json()) as { blocked: unknown[] };
    expect(perms.blocked).toContainEqual({ type: 'key', value: key });
    expect((await fetch(`${bob.url}/v1/peers/${key}/block`, { method: 'DELETE' })).status).toBe(200);
    perms = (await (await nodeSdk(bob.url, 'GET', '/v1/permissions')).json()) as { blocked: unknown[] };
    expect(perms.blocked).toEqual([]);
  });

  it('approvals: pending → approve (encoded id, Node SDK) → delivered; revoke with no body', async () => {
    const carol = await startTestDaemon('carol', { mode: 'open' });
    try {
      // carol → alice (approval mode): pending, 502 with the reference text, message stays queued.
      const held = await fetch(`${carol.url}/v1/messages?wait=true&timeout=5`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: alice.address, body: { text: 'let me in' } }),
      });
      expect(held.status).toBe(502);
      expect(await held.json()).toEqual({ error: { code: 'not_reachable', message: 'Connection pending approval by remote agent' } });
      const approvals = (await (await nodeSdk(alice.url, 'GET', '/v1/approvals')).json()) as { approvals: Array<Record<string, string>> };
      const pending = approvals.approvals.find((a) => a['address'] === carol.address)!;
      expect(pending['id']).toBe(pending['public_key']);
      await nodeSdk(alice.url, 'POST', `/v1/approvals/${encodeURIComponent(pending['id']!)}`, { json: { decision: 'approve' } });
      // The queued message is retried by carol's outbox and now gets through.
      await waitFor(async () => {
        const h = (await (await fetch(`${alice.url}/v1/messages/history?limit=100`)).json()) as { messages: Array<{ body?: { text?: string } }> };
        return h.messages.some((m) => m.body?.text === 'let me in');
      });
      const perms = (await (await nodeSdk(alice.url, 'GET', '/v1/permissions')).json()) as { approved: unknown[] };
      expect(perms.approved).toContainEqual({ type: 'key', value: pending['public_key'] });
      // Node SDK revoke(string): POST with no body and no content type.
      const revoked = await fetch(`${alice.url}/v1/approvals/${encodeURIComponent(pending['id']!)}/revoke`, { method: 'POST' });
      expect(revoked.status).toBe(200);
      const after = (await (await nodeSdk(alice.url, 'GET', '/v1/permissions')).json()) as { approved: unknown[] };
      expect(after.approved).not.toContainEqual({ type: 'key', value: pending['public_key'] });
    } finally {
      await carol.cleanup();
    }
  });

  it('ping reports the remote agent (Node SDK)', async () => {
    const ping = (await (await nodeSdk(alice.url, 'POST', '/v1/ping', { json: { address: bob.address } })).json()) as Record<string, unknown>;
    expect(ping).toMatchObject({ agent_name: 'bob', address: bob.address, reachable: true });
    const dead = (await (await nodeSdk(alice.url, 'POST', '/v1/ping', { json: { address: 'toq://127.0.0.1:1/nobody' } })).json()) as Record<string, unknown>;
    expect(dead).toMatchObject({ agent_name: 'nobody', reachable: false, public_key: null });
  });

  it('handlers CRUD (Node SDK add/update/remove/stop)', async () => {
    const added = (await (await nodeSdk(bob.url, 'POST', '/v1/handlers', { json: { name: 'echo', command: 'cat > /dev/null' } })).json()) as Record<string, unknown>;
    expect(added).toEqual({ status: 'added', name: 'echo' });
    await expect(nodeSdk(bob.url, 'POST', '/v1/handlers', { json: { name: 'echo', command: 'true' } })).rejects.toThrow(/HTTP 409/);
    const list = (await (await nodeSdk(bob.url, 'GET', '/v1/handlers')).json()) as { handlers: Array<Record<string, unknown>> };
    expect(list.handlers).toContainEqual(expect.objectContaining({ name: 'echo', command: 'cat > /dev/null', enabled: true, active: 0 }));
    const updated = (await (await nodeSdk(bob.url, 'PUT', `/v1/handlers/${encodeURIComponent('echo')}`, { json: { enabled: false } })).json()) as Record<string, unknown>;
    expect(updated).toEqual({ status: 'updated', name: 'echo' });
    const stopped = (await (await nodeSdk(bob.url, 'POST', '/v1/handlers/stop', { json: { name: 'echo' } })).json()) as Record<string, unknown>;
    expect(stopped).toEqual({ stopped: 0, name: 'echo' });
    expect(await (await nodeSdk(bob.url, 'DELETE', '/v1/handlers/echo')).json()).toEqual({ status: 'removed', name: 'echo' });
    await expect(nodeSdk(bob.url, 'DELETE', '/v1/handlers/echo')).rejects.toThrow(/HTTP 404: .*handler not found/);
  });
});

describe('bad input to the local API', () => {
  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${bob.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers malformed JSON 400, wrong types 422, wrong content type 415, in plain text', async () => {
    const malformed = await post('/v1/messages', '{"to": ');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('text/plain');
    expect((await post('/v1/messages', '{"body": {}}')).status).toBe(422);
    expect((await post('/v1/messages', '{"to": 5}')).status).toBe(422);
    expect((await post('/v1/messages', '{"to": "x"}', 'text/plain')).status).toBe(415);
    expect((await fetch(`${bob.url}/v1/messages?wait=yes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"to":"x"}' })).status).toBe(400);
  });

  it('answers unknown addresses, empty recipients and oversized bodies with the reference error shape', async () => {
    const bad = await post('/v1/messages', JSON.stringify({ to: 'not-an-address', body: { text: 'x' } }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'invalid_address', message: 'Invalid toq address: not-an-address' } });
    const none = await post('/v1/messages', JSON.stringify({ to: [] }));
    expect(await none.json()).toEqual({ error: { code: 'invalid_request', message: 'No recipients specified' } });
    const big = await post('/v1/messages', JSON.stringify({ to: alice.address, body: { text: 'x'.repeat(1_100_000) } }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'message_too_large' } });
    const huge = await post('/v1/messages', JSON.stringify({ to: alice.address, body: { text: 'x'.repeat(3_000_000) } }));
    expect(huge.status).toBe(413);
  });

  it('answers unknown routes 404, wrong methods 405, unknown handlers 404 JSON', async () => {
    expect((await fetch(`${bob.url}/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${bob.url}/v1/health`, { method: 'DELETE' })).status).toBe(405);
    const missing = await fetch(`${bob.url}/v1/handlers/ghost`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'handler not found' } });
  });

  it('refuses /v1 to a foreign Host (DNS rebinding) and to proxied requests', async () => {
    const { request } = await import('node:http');
    const status = (headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: bob.port, path: '/v1/status', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status({ host: `127.0.0.1:${bob.port}` })).toBe(200);
    expect(await status({ host: `attacker.example:${bob.port}` })).toBe(404);
    expect(await status({ host: `127.0.0.1:${bob.port}`, 'x-forwarded-for': '203.0.113.9' })).toBe(404);
    expect(await status({ host: `127.0.0.1:${bob.port}`, origin: 'http://attacker.example' })).toBe(404);
  });

  it('loses nothing already accepted when bad requests arrive in between', async () => {
    const before = (await (await fetch(`${bob.url}/v1/messages/history?limit=1000`)).json()) as { messages: unknown[] };
    await post('/v1/messages', '{{{');
    await post('/v1/messages', JSON.stringify({ to: 'nope' }));
    const after = (await (await fetch(`${bob.url}/v1/messages/history?limit=1000`)).json()) as { messages: unknown[] };
    expect(after.messages).toEqual(before.messages);
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
