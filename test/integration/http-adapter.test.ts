// The legacy HTTP adapter (local-API spec §5.4): with `["adapter.http"] callback_url` set, every
// incoming message.send is also POSTed there. A small real HTTP server stands in for the agent.

import { createServer, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemons.js';
import { closeServer, listenOnLoopback } from '../helpers/ports.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('HTTP adapter', () => {
  it('POSTs each incoming message to callback_url, after it was committed', async () => {
    const received: Array<{ headers: IncomingMessage['headers']; body: Record<string, unknown> }> = [];
    const hook = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
    const port = await listenOnLoopback(hook);
    cleanups.push(() => closeServer(hook));
    const bob: TestDaemon = await startTestDaemon('bob', { mode: 'open', configToml: `["adapter.http"]\ncallback_url = "http://127.0.0.1:${port}/hook"\n` });
    cleanups.push(() => bob.cleanup());
    const alice = await startTestDaemon('alice');
    cleanups.push(() => alice.cleanup());

    const resp = await fetch(`${alice.url}/v1/messages?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: bob.address, body: { text: 'to the adapter', n: 2.50 }, thread_id: 't-hook' }),
    });
    expect(resp.status).toBe(200);
    const { id } = (await resp.json()) as { id: string };
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.body).toEqual({ id, type: 'message.send', from: alice.address, body: { text: 'to the adapter', n: 2.5 }, thread_id: 't-hook', content_type: 'application/json' });
  });
});
