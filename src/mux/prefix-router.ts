// Routes a freshly accepted stream by its first bytes: reads until the bytes either match a
// fixed prefix or cannot match any more, puts back what it read, and hands the socket on.
// Generic on purpose: it knows no protocol; callers pass the prefix (DESIGN §2, STYLE mux/).

import type { Socket } from 'node:net';
import type { Logger } from 'pino';

export interface PrefixRouteOptions<S extends Socket> {
  /** The bytes that select `onMatch`. Must not be empty. */
  prefix: Uint8Array;
  /** How long the peer may take to send enough bytes to decide, ms. */
  timeoutMs: number;
  /**
   * On a match, drop the prefix from the stream (true) or put it back (false). Anything read
   * beyond the prefix is always put back. Bytes read on a mismatch are always put back.
   */
  consumePrefix: boolean;
  /** Names the phase in logs ('peek', 'magic'). */
  phase: string;
  onMatch(socket: S, prefix: Buffer): void;
  onOther(socket: S): void;
  log: Logger;
}

/**
 * Decides as soon as the bytes seen so far differ from the prefix (so an HTTP client is routed
 * after its first byte, not after `prefix.length` bytes). A peer that sends too little before
 * the deadline, or closes, is destroyed with a debug log: there is nobody to answer (spec §3.1).
 *
 * The socket is read in paused mode ('readable' + read()), never `pause()`d, so the next owner
 * gets it back with unshifted data first and flowing as soon as it attaches a 'data' listener
 * (node's http and tls servers both do).
 */
export function routeByPrefix<S extends Socket>(socket: S, options: PrefixRouteOptions<S>): void {
  const { prefix, phase, log } = options;
  if (prefix.length === 0) throw new RangeError('prefix must not be empty');
  const seen: Buffer[] = [];
  let seenBytes = 0;

  const timer = setTimeout(() => {
    log.debug({ phase, remote: socket.remoteAddress, bytes: seenBytes, timeoutMs: options.timeoutMs }, 'no data before deadline');
    stop();
    socket.destroy();
  }, options.timeoutMs);

  const onReadable = (): void => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
      seen.push(chunk);
      seenBytes += chunk.length;
      const head = seen.length === 1 ? chunk : Buffer.concat(seen, seenBytes);
      const compared = Math.min(head.length, prefix.length);
      const isMatchSoFar = head.subarray(0, compared).equals(prefix.subarray(0, compared));
      if (!isMatchSoFar) {
        stop();
        socket.unshift(head);
        options.onOther(socket);
        return;
      }
      if (head.length >= prefix.length) {
        stop();
        const rest = options.consumePrefix ? head.subarray(prefix.length) : head;
        if (rest.length > 0) socket.unshift(rest);
        options.onMatch(socket, Buffer.from(head.subarray(0, prefix.length)));
        return;
      }
    }
  };
  const onEnd = (): void => {
    log.debug({ phase, remote: socket.remoteAddress, bytes: seenBytes }, 'closed before routing');
    stop();
    socket.destroy();
  };
  const onError = (err: Error): void => {
    log.debug({ phase, remote: socket.remoteAddress, err }, 'socket error before routing');
    stop();
    socket.destroy();
  };

  function stop(): void {
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.off('error', onError);
  }

  socket.on('readable', onReadable);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
}
