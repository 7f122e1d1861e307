// Writes a stream of Server-Sent Events to a node:http response with backpressure (STYLE
// "Streams"): when write() returns false we wait for 'drain' (or the close of the connection)
// before the next event. The caller produced the first event before calling, so an early failure
// was still a plain JSON answer (a2a-notes §6).

import type { ServerResponse } from 'node:http';
import { SSE_HEADERS } from '@a2a-js/sdk';

export function startSse(res: ServerResponse, extraHeaders: Readonly<Record<string, string | string[]>> = {}): void {
  res.writeHead(200, { ...SSE_HEADERS, ...extraHeaders });
  res.flushHeaders();
}

/** Resolves true when the event was written (or buffered under the high-water mark), false when the client is gone. */
export function writeSse(res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
