// Reads a text/event-stream body (WHATWG HTML §9.2 "server-sent events") into events: `event:`
// and `data:` fields, data lines joined with "\n", an event ends at a blank line, comments
// (`:`) and other fields ignored. Caps the size of one event so a hostile server cannot make us
// buffer without end. Knows nothing of A2A.

export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  readonly event: string;
  readonly data: string;
}

/** Largest single event accepted (A2A events carry whole tasks; 4 MiB is generous). */
export const MAX_SSE_EVENT_BYTES = 4 * 1024 * 1024;

export class SseEventTooLargeError extends Error {
  constructor(limit: number) {
    super(`an SSE event exceeds ${limit} bytes`);
    this.name = 'SseEventTooLargeError';
  }
}

/** Splits a stream of chunks into events; a trailing event without its blank line is dropped (§9.2.6). */
export async function* readSseEvents(body: AsyncIterable<Uint8Array>, maxEventBytes: number = MAX_SSE_EVENT_BYTES): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser(maxEventBytes);
  for await (const chunk of body) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}

/** The incremental parser behind readSseEvents, exposed for tests that cut the text anywhere. */
export class SseParser {
  readonly #max: number;
  #buffer = '';
  #isFirst = true;
  #event = '';
  #data: string[] = [];
  #size = 0;

  constructor(maxEventBytes: number = MAX_SSE_EVENT_BYTES) {
    this.#max = maxEventBytes;
  }

  /** Feeds text; returns the events it completed. */
  push(text: string): SseEvent[] {
    this.#buffer += text;
    if (this.#isFirst && this.#buffer.length > 0) {
      // A leading BOM is not part of the first field name.
      if (this.#buffer.charCodeAt(0) === 0xfeff) this.#buffer = this.#buffer.slice(1);
      this.#isFirst = false;
    }
    const events: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (m === null || (m[0] === '\r' && m.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    if (this.#size + this.#buffer.length > this.#max) throw new SseEventTooLargeError(this.#max);
    return events;
  }

  /** The stream ended: a "\r" held back as a possible half of "\r\n" ends its line after all. */
  end(): SseEvent[] {
    if (!this.#buffer.endsWith('\r')) return [];
    const line = this.#buffer.slice(0, -1);
    this.#buffer = '';
    const event = this.#line(line);
    return event === undefined ? [] : [event];
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const event = { event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n') };
      this.#event = '';
      this.#data = [];
      this.#size = 0;
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#data.push(value);
      this.#size += value.length + 1;
      if (this.#size > this.#max) throw new SseEventTooLargeError(this.#max);
    } else if (field === 'event') {
      this.#event = value;
    }
    return undefined;
  }
}
