// Bookkeeping for the loopback tests of the public port (the first-byte mux, TLS and the magic
// split behind it): the servers, client peers and server-side sockets a test opened, all closed
// by close() (call it in afterEach); a queue of what the port routed, for the test to await one
// entry at a time; and a read of n bytes from a routed socket. It opens, records and closes; the
// tests make every assertion.

import type { Server, Socket } from 'node:net';
import { closeServer, listenOnLoopback } from './ports.js';
import { RawPeer, type RawTlsOptions } from './raw-peer.js';

/** What the port routed, in order; `next()` is a free function so it can be passed around. */
export interface RouteQueue<T> {
  /** Entries routed that no `next()` has taken yet (a test asserts it is empty). */
  readonly pending: T[];
  /** Records a routed entry: its socket is destroyed at close(), the entry goes to the oldest waiting next(). */
  record(entry: T): void;
  /** The oldest entry not taken yet, or else the next one routed. */
  next(): Promise<T>;
}

export class PortHarness {
  private readonly servers: Server[] = [];
  private readonly peers: RawPeer[] = [];
  private readonly sockets: Socket[] = [];

  /** Listens on 127.0.0.1 port 0 and returns the port; the server is closed at close(). */
  async listen(server: Server): Promise<number> {
    this.servers.push(server);
    return listenOnLoopback(server);
  }

  /** A plain TCP client of `port`, destroyed at close(). */
  async plainPeer(port: number): Promise<RawPeer> {
    const peer = await RawPeer.connectPlain(port);
    this.peers.push(peer);
    return peer;
  }

  /** A TLS client of `port` (toq client options), destroyed at close(). */
  async tlsPeer(port: number, options?: RawTlsOptions): Promise<RawPeer> {
    const peer = await RawPeer.connectTls(port, options);
    this.peers.push(peer);
    return peer;
  }

  routeQueue<T extends { socket: Socket }>(): RouteQueue<T> {
    const pending: T[] = [];
    const waiting: ((entry: T) => void)[] = [];
    return {
      pending,
      record: (entry) => {
        this.sockets.push(entry.socket);
        const waiter = waiting.shift();
        if (waiter) waiter(entry);
        else pending.push(entry);
      },
      next: () => {
        const ready = pending.shift();
        return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
      },
    };
  }

  /** Destroys the peers, then the routed sockets, then closes the servers. */
  async close(): Promise<void> {
    for (const peer of this.peers.splice(0)) peer.destroy();
    for (const socket of this.sockets.splice(0)) socket.destroy();
    await Promise.all(this.servers.splice(0).map(closeServer));
  }
}

/** Reads from a routed (server-side) socket until `n` bytes arrived; rejects if it closes first. */
export function readN(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= n) resolve(Buffer.concat(chunks));
    });
    socket.once('close', () => reject(new Error(`closed after ${total} bytes`)));
  });
}
