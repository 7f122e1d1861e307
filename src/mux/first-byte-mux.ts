// The one public port (DESIGN §2, wire spec §3.1): every accepted socket is classified by its
// first byte, 0x16 (a TLS handshake record) → onTls, anything else → onPlain. Each connection
// waits for its byte on its own timer, so a silent client never holds up other accepts (the
// reference's inline peek does, spec §21.1). Knows nothing about toq or A2A: it is given callbacks.

import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { routeByPrefix } from './prefix-router.js';

/** First byte of every TLS connection: a handshake record (ContentType 22, RFC 8446 §5.1). */
const TLS_HANDSHAKE_RECORD = Uint8Array.of(0x16);

/** Anything with an `allow(ip)` answer; transport/ provides ConnectionRateLimiter. */
export interface ConnectionAdmission {
  allow(ip: string): boolean;
}

export interface MuxServerOptions {
  /** How long a new connection may stay silent before it is dropped, ms. @default 5000 (spec §3.1) */
  peekTimeoutMs?: number;
  /** Gets sockets whose first byte is 0x16, with that byte put back. */
  onTls(socket: Socket): void;
  /** Gets every other socket, with its first bytes put back (e.g. `httpServer.emit('connection', socket)`). */
  onPlain(socket: Socket): void;
  /** Checked per accepted socket before anything is read; refused sockets are closed without a word. */
  admission?: ConnectionAdmission;
  log: Logger;
}

/**
 * Returns an unlistening net.Server; call `listen()` on it. Accept errors (EMFILE, ENFILE, ...)
 * are logged and the server keeps accepting (libuv keeps the listening socket open; spec §21.2
 * describes the reference dying instead). Other server errors (EADDRINUSE from listen) are
 * logged too, so wait for 'listening' with `events.once(server, 'listening')`, which rejects on them.
 */
export function createMuxServer(options: MuxServerOptions): Server {
  const { log } = options;
  const peekTimeoutMs = options.peekTimeoutMs ?? 5_000;
  if (!(peekTimeoutMs > 0)) throw new RangeError(`peekTimeoutMs must be positive, got ${peekTimeoutMs}`);

  const server = createServer({ noDelay: true }, (socket) => {
    const remote = socket.remoteAddress;
    // After the handover the new owner adds its own handlers; this one only makes sure an
    // error nobody else listens for is logged instead of crashing the process.
    socket.on('error', (err) => log.debug({ remote, err }, 'connection error'));
    if (remote === undefined) {
      socket.destroy(); // already gone: node reports no address for a closed socket
      return;
    }
    if (options.admission !== undefined && !options.admission.allow(remote)) {
      // debug, not warn: a flood would otherwise turn into a log flood.
      log.debug({ remote }, 'connection rate limit exceeded, closing');
      socket.destroy();
      return;
    }
    routeByPrefix(socket, {
      prefix: TLS_HANDSHAKE_RECORD,
      timeoutMs: peekTimeoutMs,
      consumePrefix: false,
      phase: 'peek',
      onMatch: (s) => options.onTls(s),
      onOther: (s) => options.onPlain(s),
      log,
    });
  });

  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.syscall === 'accept') {
      log.warn({ err }, 'accept failed, still listening');
    } else {
      log.error({ err }, 'listener error');
    }
  });
  return server;
}
