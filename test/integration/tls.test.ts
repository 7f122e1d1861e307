// TLS behind the mux on real loopback sockets: handshake deadline, magic split, HTTPS handover,
// client options and session resumption (wire spec §3.2, §3.4, §20 items 13-15, §21.3).

import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { createMuxServer } from '../../src/mux/first-byte-mux.js';
import { splitAfterTls, type TlsSplitOptions } from '../../src/mux/tls-after-peek.js';
import { MAGIC } from '../../src/protocol/constants.js';
import { encodeFrame } from '../../src/protocol/frame.js';
import { TlsSessionCache } from '../../src/transport/tls-session-cache.js';
import { tlsServerOptions } from '../../src/transport/tls-options.js';
import { testCertificate } from '../helpers/certs.js';
import { PortHarness, readN } from '../helpers/port-harness.js';
import { RawPeer } from '../helpers/raw-peer.js';

const log = pino({ level: 'silent' });
const harness = new PortHarness();

afterEach(() => harness.close());

interface Routed {
  route: 'magic' | 'other' | 'plain';
  socket: TLSSocket | Socket;
  magic?: Buffer;
}

/** The whole public port: mux → TLS → magic split, recording where sockets end up. */
async function startPort(options: Partial<TlsSplitOptions> & { peekTimeoutMs?: number } = {}) {
  const queue = harness.routeQueue<Routed>();
  const tls = splitAfterTls({
    tlsOptions: tlsServerOptions(testCertificate()),
    magic: MAGIC,
    onMagic: (socket, magic) => queue.record({ route: 'magic', socket, magic }),
    onOther: (socket) => queue.record({ route: 'other', socket }),
    log,
    ...options,
  });
  const server = createMuxServer({
    peekTimeoutMs: options.peekTimeoutMs ?? 5_000,
    onTls: (socket) => tls.accept(socket),
    onPlain: (socket) => queue.record({ route: 'plain', socket }),
    log,
  });
  const port = await harness.listen(server);
  return { port, next: queue.next, routed: queue.pending };
}

describe('TLS behind the mux', () => {
  it('routes TLS + "TOQ\\x01" to onMagic with the following bytes intact (spec §3.4, §20.15)', async () => {
    const { port, next } = await startPort();
    const peer = await harness.tlsPeer(port);
    const frame = encodeFrame(Buffer.from('{"type":"hello"}'));
    peer.write(Buffer.concat([MAGIC, frame]));
    const routed = await next();
    expect(routed.route).toBe('magic');
    expect(routed.magic).toEqual(Buffer.from(MAGIC));
    expect(await readN(routed.socket, frame.length)).toEqual(frame);
  });

  it('waits for a magic split across writes and loses nothing', async () => {
    const { port, next, routed } = await startPort();
    const peer = await harness.tlsPeer(port);
    peer.write(Buffer.from(MAGIC.subarray(0, 2)));
    // Round trip through the server: the 2 bytes must not decide anything yet.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(routed).toHaveLength(0);
    peer.write(Buffer.concat([Buffer.from(MAGIC.subarray(2)), Buffer.from('after')]));
    const entry = await next();
    expect(entry.route).toBe('magic');
    expect((await readN(entry.socket, 5)).toString()).toBe('after');
  });

  it('routes anything else after TLS to onOther with what was read put back', async () => {
    const { port, next } = await startPort();
    const peer = await harness.tlsPeer(port);
    peer.write('GET / HTTP/1.1\r\n');
    const routed = await next();
    expect(routed.route).toBe('other');
    expect((await readN(routed.socket, 16)).toString()).toBe('GET / HTTP/1.1\r\n');
  });

  it('decides on the first mismatching byte ("TOX" goes to onOther at once)', async () => {
    const { port, next } = await startPort({ magicTimeoutMs: 60_000 });
    const peer = await harness.tlsPeer(port);
    peer.write('TOX');
    const routed = await next();
    expect(routed.route).toBe('other');
    expect((await readN(routed.socket, 3)).toString()).toBe('TOX');
  });

  it('serves HTTPS through a node http.Server handed the TLS socket', async () => {
    const http = createHttpServer((req, res) => res.end(`secure ${req.url}`));
    const { port } = await startPort({ onOther: (socket) => http.emit('connection', socket) });
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/card', rejectUnauthorized: false, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('200 secure /card');
    http.close();
  });

  it('destroys a stalled TLS handshake (0x16 then nothing) at the TLS deadline (spec §21.3)', async () => {
    const { port, routed } = await startPort({ tlsTimeoutMs: 50 });
    const staller = await harness.plainPeer(port);
    staller.write(Buffer.of(0x16));
    await staller.waitForClose(5_000);
    expect(routed).toHaveLength(0);
  });

  it('keeps serving others while a TLS handshake is stalled', async () => {
    const { port, next } = await startPort({ tlsTimeoutMs: 60_000 });
    const staller = await harness.plainPeer(port);
    staller.write(Buffer.of(0x16, 0x03, 0x01));
    const peer = await harness.tlsPeer(port);
    peer.write(MAGIC);
    const routed = await next();
    expect(routed.route).toBe('magic');
    expect(routed.socket.remotePort).toBe(peer.socket.localPort);
    expect(staller.isClosed).toBe(false);
  });

  it('destroys a TLS client that sends nothing after the handshake at the magic deadline', async () => {
    const { port, routed } = await startPort({ magicTimeoutMs: 50 });
    const peer = await harness.tlsPeer(port);
    await peer.waitForClose(5_000);
    expect(routed).toHaveLength(0);
  });

  it('drops a peer that sends garbage after 0x16 without routing it', async () => {
    const { port, routed } = await startPort();
    const peer = await harness.plainPeer(port);
    peer.write(Buffer.from('1603010020' + '00'.repeat(32), 'hex')); // a whole record, not a ClientHello
    await peer.waitForClose(5_000);
    expect(routed).toHaveLength(0);
  });

  it('negotiates TLS 1.3 with SNI localhost and no ALPN, and refuses a TLS 1.2-only client (spec §3.2)', async () => {
    const { port, next } = await startPort();
    const peer = await harness.tlsPeer(port);
    peer.write(MAGIC);
    const routed = await next();
    const server = routed.socket as TLSSocket;
    expect(server.getProtocol()).toBe('TLSv1.3');
    expect((server as TLSSocket & { servername?: string | false }).servername).toBe('localhost');
    expect(server.alpnProtocol).toBe(false);

    await expect(RawPeer.connectTls(port, { overrides: { maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' } })).rejects.toThrow();
  });

  it('resumes a TLS session from the per-peer cache on the next dial', async () => {
    const { port, next } = await startPort();
    const cache = new TlsSessionCache();
    const key = `127.0.0.1:${port}`;

    const first = await harness.tlsPeer(port);
    cache.track(first.socket as TLSSocket, key);
    first.write(MAGIC);
    await next();
    await first.waitForSession();
    expect((first.socket as TLSSocket).isSessionReused()).toBe(false);
    const session = cache.get(key);
    expect(session).toBeDefined();

    const second = await harness.tlsPeer(port, { session: session! });
    expect((second.socket as TLSSocket).isSessionReused()).toBe(true);
    second.write(MAGIC);
    expect((await next()).route).toBe('magic');
  });
});
