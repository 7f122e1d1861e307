// Two connected in-memory Duplex streams (what one writes, the other reads), for running the
// session layer without sockets. Node 20 has no stream.duplexPair (added in 22.6).

import { Duplex } from 'node:stream';

export function createDuplexPair(): [Duplex, Duplex] {
  // Each side reaches the other through this holder (they are made one after the other).
  const sides: { left?: Duplex; right?: Duplex } = {};
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {
        // Data is pushed by the other side's write().
      },
      write(chunk: Buffer, _encoding, callback) {
        // Deliver asynchronously, as a socket would.
        setImmediate(() => {
          peer().push(chunk);
          callback();
        });
      },
      final(callback) {
        setImmediate(() => {
          peer().push(null);
          callback();
        });
      },
      destroy(err, callback) {
        const other = peer();
        if (!other.destroyed) setImmediate(() => other.destroy());
        callback(err);
      },
    });
  const left = make(() => sides.right!);
  const right = make(() => sides.left!);
  sides.left = left;
  sides.right = right;
  return [left, right];
}
