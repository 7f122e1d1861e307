// Splits a child's output stream into lines as chunks arrive, with a cap on line length, so a
// handler log gets each line when it is printed and a newline-less flood cannot grow memory.
// It does not write anything; the shell handler decides where lines go.

import { Buffer } from 'node:buffer';

/** Appended to a line cut at the length cap. */
export const TRUNCATED_MARK = ' [truncated]';

const NEWLINE = 0x0a;
const CR = 0x0d;
const UTF8 = new TextDecoder('utf-8'); // lossy like the reference's from_utf8_lossy

/**
 * Line splitting as Rust's `str::lines` does it (`\n`, a `\r` before it dropped), over bytes, so
 * a multi-byte character split across chunks is decoded whole.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The current line was already emitted truncated: drop bytes until its newline. */
  #isDiscarding = false;

  /** @param maxLineBytes longest line kept, in bytes; longer ones are cut and marked. */
  constructor(maxLineBytes: number) {
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    this.#maxLineBytes = maxLineBytes;
  }

  /** Feeds a chunk; returns the lines it completed (or cut at the cap). */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      this.#append(chunk.subarray(start, end), lines);
      if (nl < 0) break;
      if (this.#isDiscarding) this.#isDiscarding = false;
      else lines.push(this.#take());
      start = nl + 1;
    }
    return lines;
  }

  /** The last line when the stream ended without a newline (Rust's `lines` yields it too). */
  flush(): string[] {
    const isEmpty = this.#pendingBytes === 0;
    const wasDiscarding = this.#isDiscarding;
    this.#isDiscarding = false;
    if (isEmpty || wasDiscarding) {
      this.#pending = [];
      this.#pendingBytes = 0;
      return [];
    }
    return [this.#take()];
  }

  #append(part: Uint8Array, lines: string[]): void {
    if (this.#isDiscarding || part.length === 0) return;
    const room = this.#maxLineBytes - this.#pendingBytes;
    if (part.length <= room) {
      this.#pending.push(Buffer.from(part));
      this.#pendingBytes += part.length;
      return;
    }
    this.#pending.push(Buffer.from(part.subarray(0, room)));
    this.#pendingBytes += room;
    lines.push(this.#take(true) + TRUNCATED_MARK);
    this.#isDiscarding = true;
  }

  #take(isCut = false): string {
    let bytes = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (!isCut && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    return UTF8.decode(bytes);
  }
}
