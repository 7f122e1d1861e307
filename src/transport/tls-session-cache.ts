// Client-side TLS session tickets, one per peer, so re-dialing a peer resumes TLS instead of a
// full handshake (DESIGN §6: a full handshake costs as much CPU as ~9 relayed messages).
// Holds only opaque ticket bytes: it never dials and never decides whether a peer is trusted.

import type { TLSSocket } from 'node:tls';

export interface TlsSessionCacheOptions {
  /** Peers remembered at most; the least recently used one is dropped first. @default 256 */
  maxEntries?: number;
}

/**
 * Map from a peer key (e.g. "host:port") to its latest TLS session. TLS 1.3 servers may send
 * several tickets per connection; the last one wins. A ticket the server no longer accepts only
 * costs a full handshake, so stale entries are harmless.
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, Buffer>();
  private readonly maxEntries: number;

  constructor(options: TlsSessionCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 256;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  get(peerKey: string): Buffer | undefined {
    const session = this.sessions.get(peerKey);
    if (session !== undefined) {
      // Re-insert: Map iteration order is insertion order, so the front is least recently used.
      this.sessions.delete(peerKey);
      this.sessions.set(peerKey, session);
    }
    return session;
  }

  set(peerKey: string, session: Buffer): void {
    this.sessions.delete(peerKey);
    this.sessions.set(peerKey, session);
    while (this.sessions.size > this.maxEntries) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
  }

  delete(peerKey: string): void {
    this.sessions.delete(peerKey);
  }

  /**
   * Saves every ticket `socket` receives under `peerKey`. Call right after `tls.connect`, before
   * the handshake ends: TLS 1.3 tickets arrive after the handshake, as they are read.
   */
  track(socket: TLSSocket, peerKey: string): void {
    socket.on('session', (session: Buffer) => this.set(peerKey, session));
  }
}
