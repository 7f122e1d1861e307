// TLS on sockets the mux already accepted, then a split on the first application bytes:
// a fixed magic (toq's "TOQ\x01", passed in by the caller) → onMagic, anything else → onOther
// (HTTPS). Generic: mux/ knows neither toq nor HTTP (DESIGN §2, STYLE dependency rules).

import type { Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { routeByPrefix } from './prefix-router.js';

export interface TlsAcceptorOptions {
  /** Certificate, key and version settings (transport/ builds them with `tlsServerOptions`). */
  tlsOptions: TlsOptions;
  /** How long the TLS handshake may take, ms. @default 5000 (the reference has none, spec §21.3) */
  tlsTimeoutMs?: number;
  /** Gets each socket whose handshake completed. */
  onSecure(tlsSocket: TLSSocket): void;
  log: Logger;
}

export interface TlsAcceptor {
  /** Starts the server side of TLS on an accepted socket (its peeked bytes put back). */
  accept(socket: Socket): void;
  /** Swaps certificate/key for later handshakes (e.g. after the files changed). */
  setSecureContext(tlsOptions: TlsOptions): void;
}

/**
 * Runs TLS through a never-listening tls.Server: the public way to serve TLS on sockets accepted
 * elsewhere. It keeps one secure context (and one set of session-ticket keys, so clients can
 * resume) for every connection, consumes the bytes the mux put back, and releases the socket
 * to us with normal 'error' semantics once the handshake is done. Failed or slow handshakes
 * are destroyed and logged at debug level.
 */
export function createTlsAcceptor(options: TlsAcceptorOptions): TlsAcceptor {
  const { log } = options;
  const tlsTimeoutMs = options.tlsTimeoutMs ?? 5_000;
  if (!(tlsTimeoutMs > 0)) throw new RangeError(`tlsTimeoutMs must be positive, got ${tlsTimeoutMs}`);
  // node arms handshakeTimeout when the TLS socket is created and disarms it when the handshake
  // completes; handshake records are read in C++, so no JS-visible activity re-arms it.
  const server = createTlsServer({ ...options.tlsOptions, handshakeTimeout: tlsTimeoutMs });
  server.on('secureConnection', (tlsSocket: TLSSocket) => options.onSecure(tlsSocket));
  server.on('tlsClientError', (err: Error, tlsSocket: TLSSocket) => {
    log.debug({ remote: tlsSocket.remoteAddress, err }, 'TLS handshake failed');
    tlsSocket.destroy();
  });
  return {
    accept: (socket) => {
      server.emit('connection', socket);
    },
    setSecureContext: (tlsOptions) => server.setSecureContext(tlsOptions),
  };
}

export interface TlsSplitOptions extends Omit<TlsAcceptorOptions, 'onSecure'> {
  /** First application bytes that select `onMagic` (toq passes its "TOQ\x01", spec §3.4). */
  magic: Uint8Array;
  /** How long after the handshake the client may take to send its first bytes, ms. @default 5000 */
  magicTimeoutMs?: number;
  /**
   * Gets TLS sockets that started with the magic. The magic is consumed (handed over as
   * `magic`); any bytes after it are put back and are the next bytes the socket yields.
   */
  onMagic(tlsSocket: TLSSocket, magic: Buffer): void;
  /** Gets every other TLS socket with what was read put back (e.g. `httpServer.emit('connection', s)`). */
  onOther(tlsSocket: TLSSocket): void;
}

/**
 * TLS, then the magic split: the `onTls` half of the public port. The result's `accept` is what
 * createMuxServer's `onTls` should call.
 */
export function splitAfterTls(options: TlsSplitOptions): TlsAcceptor {
  const { log } = options;
  const magicTimeoutMs = options.magicTimeoutMs ?? 5_000;
  return createTlsAcceptor({
    tlsOptions: options.tlsOptions,
    ...(options.tlsTimeoutMs === undefined ? {} : { tlsTimeoutMs: options.tlsTimeoutMs }),
    log,
    onSecure: (tlsSocket) => {
      // Logged, never thrown: a reset after the handshake is routine (spec §3.2: peers drop
      // the stream without close_notify). Owners add their own handlers.
      tlsSocket.on('error', (err) => log.debug({ remote: tlsSocket.remoteAddress, err }, 'TLS connection error'));
      routeByPrefix(tlsSocket, {
        prefix: options.magic,
        timeoutMs: magicTimeoutMs,
        consumePrefix: true,
        phase: 'magic',
        onMatch: options.onMagic,
        onOther: options.onOther,
        log,
      });
    },
  });
}
