// The public port's first-byte split on real loopback sockets (DESIGN §2, wire spec §3.1, §21.1-2).

import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { createMuxServer, type MuxServerOptions } from '../../src/mux/first-byte-mux.js';
import { ConnectionRateLimiter } from '../../src/transport/rate-limiter.js';
import { PortHarness, readN } from '../helpers/port-harness.js';

const log = pino({ level: 'silent' });
const harness = new PortHarness();

afterEach(() => harness.close());

interface Routed {
  route: 'tls' | 'plain';
  socket: Socket;
}

/** Starts a mux whose callbacks record the sockets; `next()` waits for the next routed one. */
async function startMux(options: Partial<MuxServerOptions> = {}) {
  const queue = harness.routeQueue<Routed>();
  const record = (route: Routed['route']) => (socket: Socket) => queue.record({ route, socket });
  const server = createMuxServer({ onTls: record('tls'), onPlain: record('plain'), log, ...options });
  const port = await harness.listen(server);
  return { server, port, next: queue.next, routed: queue.pending };
}

describe('first-byte mux', () => {
  it('routes a talking client while an earlier one stays silent (no accept-loop stall, spec §21.1)', async () => {
    const { port, next, routed } = await startMux({ peekTimeoutMs: 60_000 });
    const silent = await harness.plainPeer(port);
    const talker = await harness.plainPeer(port);
    talker.write('GET / HTTP/1.1\r\n');
    const first = await next();
    expect(first.route).toBe('plain');
    expect(first.socket.remotePort).toBe(talker.socket.localPort);
    expect(silent.isClosed).toBe(false);
    expect(routed).toHaveLength(0);
  });

  it('destroys a connection that sends nothing before the peek deadline', async () => {
    const { port, routed } = await startMux({ peekTimeoutMs: 50 });
    const silent = await harness.plainPeer(port);
    await silent.waitForClose(5_000);
    expect(silent.received()).toHaveLength(0);
    expect(routed).toHaveLength(0);
  });

  it('drops a connection that closes before its first byte without routing it', async () => {
    const { port, next, routed } = await startMux({ peekTimeoutMs: 60_000 });
    const quitter = await harness.plainPeer(port);
    quitter.socket.end();
    await quitter.waitForClose(5_000);
    // A later client is still served, and the quitter never reached a callback.
    const talker = await harness.plainPeer(port);
    talker.write('x');
    const first = await next();
    expect(first.socket.remotePort).toBe(talker.socket.localPort);
    expect(routed).toHaveLength(0);
  });

  it('sends 0x16 to onTls with every byte put back', async () => {
    const { port, next } = await startMux();
    const peer = await harness.plainPeer(port);
    const bytes = Buffer.from('16030100050102030405', 'hex');
    peer.write(bytes);
    const routed = await next();
    expect(routed.route).toBe('tls');
    expect(await readN(routed.socket, bytes.length)).toEqual(bytes);
  });

  it('sends anything else to onPlain, first byte included, even when it arrives alone', async () => {
    const { port, next } = await startMux();
    const peer = await harness.plainPeer(port);
    peer.write('G');
    const routed = await next();
    expect(routed.route).toBe('plain');
    const reading = readN(routed.socket, 4);
    peer.write('ET /');
    expect((await reading).toString()).toBe('GET /');
  });

  it('hands plain sockets to a node http.Server via emit("connection")', async () => {
    const http = createHttpServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url}`);
    });
    const { port } = await startMux({ onPlain: (socket) => http.emit('connection', socket) });
    const response = await fetch(`http://127.0.0.1:${port}/hello?x=1`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('GET /hello?x=1');
    http.close();
  });

  it('serves an HTTP request whose first byte came in a separate segment', async () => {
    const http = createHttpServer((req, res) => res.end(`path=${req.url}`));
    const { port } = await startMux({ onPlain: (socket) => http.emit('connection', socket) });
    const peer = await harness.plainPeer(port);
    peer.write('G');
    // Let the mux route on the lone byte before the rest arrives.
    await new Promise<void>((resolve) => http.once('connection', () => resolve()));
    peer.write('ET /split HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await peer.waitForClose(5_000);
    const text = peer.received().toString();
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(text.endsWith('path=/split')).toBe(true);
    http.close();
  });

  it('closes sockets the admission check refuses, with no response and no routing', async () => {
    const seen: string[] = [];
    const { port, routed } = await startMux({
      admission: {
        allow: (ip) => {
          seen.push(ip);
          return false;
        },
      },
    });
    const peer = await harness.plainPeer(port);
    peer.write('GET / HTTP/1.1\r\n\r\n');
    await peer.waitForClose(5_000);
    expect(peer.received()).toHaveLength(0);
    expect(routed).toHaveLength(0);
    expect(seen).toEqual(['127.0.0.1']);
  });

  it('never limits loopback clients with the real limiter (DESIGN §2)', async () => {
    const limiter = new ConnectionRateLimiter({ perSecond: 2 });
    const { port, next } = await startMux({ admission: limiter });
    for (let i = 0; i < 5; i++) {
      const peer = await harness.plainPeer(port);
      peer.write('x');
      expect((await next()).socket.remotePort).toBe(peer.socket.localPort);
    }
  });

  it('keeps accepting after an accept error (spec §21.2)', async () => {
    const { server, port, next } = await startMux();
    const acceptError = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept', errno: -24 });
    server.emit('error', acceptError);
    expect(server.listening).toBe(true);
    const peer = await harness.plainPeer(port);
    peer.write('x');
    expect((await next()).route).toBe('plain');
  });
});
