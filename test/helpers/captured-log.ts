// A pino logger for integration tests that need to see what a daemon logged (notices that change
// nothing visible, who sent what): every JSON line it writes is parsed into an array the test reads.
// It keeps lines in memory only; it never filters, and never writes to a file or the console.

import { Writable } from 'node:stream';
import pino from 'pino';

/** A logger at `level` whose records are appended, parsed, to `lines`. */
export function capturedLog(lines: Array<Record<string, unknown>>, level: pino.Level = 'info'): pino.Logger {
  const capture = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return pino({ level }, capture);
}
