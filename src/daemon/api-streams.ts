// Streams opened through the local API (/v1/stream/*, local-API spec §3.2): each is a thread and
// a stream id on our pooled session to the peer; chunks are sent and acked one by one. Unlike
// the reference, a stream does not hold a connection of its own and expires when abandoned.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { canonicalAddress } from '../protocol/address.js';
import { GatewayError, RejectedError } from '../protocol/errors.js';
import type { JsonObject } from '../protocol/json-value.js';
import { ApiError } from '../local-api/api-error.js';
import type { ToqEndpoint } from '../transport/toq-endpoint.js';
import type { SendFields, SendOutcome } from '../transport/toq-session.js';

/** An abandoned stream is forgotten after this long without a chunk. */
const STREAM_IDLE_MS = 15 * 60_000;

interface OpenStream {
  readonly to: string;
  readonly threadId: string;
  lastUsedAt: number;
}

export interface StreamEvents {
  /** The stream ended: one SSE event, as the reference broadcasts (type end or thread.close). */
  onEnded(info: { id: string; to: string; threadId: string; type: 'message.stream.end' | 'thread.close' }): void;
}

export class ApiStreams {
  private readonly streams = new Map<string, OpenStream>();

  constructor(
    private readonly endpoint: ToqEndpoint,
    private readonly events: StreamEvents,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async start(to: string, threadId?: string): Promise<{ stream_id: string; thread_id: string }> {
    this.expireIdle();
    const target = canonicalAddress(to);
    try {
      await this.endpoint.session(target);
    } catch (err) {
      throw notReachable(err, 'no agent running at target address');
    }
    const id = randomUUID();
    const thread = threadId ?? randomUUID();
    this.streams.set(id, { to: target, threadId: thread, lastUsedAt: this.now() });
    return { stream_id: id, thread_id: thread };
  }

  async chunk(streamId: string, text: string): Promise<{ chunk_id: string }> {
    const stream = this.get(streamId);
    const outcome = await this.sendOrThrow(stream, { type: 'message.stream.chunk', body: { stream_id: streamId, data: { text } } }, 'Failed to send chunk', streamId);
    return { chunk_id: outcome.id };
  }

  async end(streamId: string, text: string | undefined, closeThread: boolean): Promise<{ chunk_id: string }> {
    const stream = this.get(streamId);
    this.streams.delete(streamId);
    const body: JsonObject = text === undefined ? { stream_id: streamId } : { stream_id: streamId, data: { text } };
    const outcome = await this.sendOrThrow(stream, { type: 'message.stream.end', body }, 'Failed to end stream');
    if (closeThread) await this.sendOrThrow(stream, { type: 'thread.close' }, 'Failed to end stream');
    this.events.onEnded({ id: outcome.id, to: stream.to, threadId: stream.threadId, type: closeThread ? 'thread.close' : 'message.stream.end' });
    return { chunk_id: outcome.id };
  }

  private get(streamId: string): OpenStream {
    const stream = this.streams.get(streamId);
    if (!stream) throw new ApiError(404, 'not_found', 'Stream not found');
    stream.lastUsedAt = this.now();
    return stream;
  }

  private async sendOrThrow(stream: OpenStream, fields: Omit<SendFields, 'thread_id'>, what: string, discardId?: string): Promise<SendOutcome> {
    let outcome: SendOutcome;
    try {
      outcome = await this.endpoint.send(stream.to, { ...fields, thread_id: stream.threadId });
    } catch (err) {
      if (discardId !== undefined) this.streams.delete(discardId);
      this.log.info({ err, to: stream.to }, `${what}`);
      throw new ApiError(500, 'not_reachable', `${what}: ${(err as Error).message}`, { cause: err });
    }
    if (outcome.status === 'error') {
      if (discardId !== undefined) this.streams.delete(discardId);
      throw new ApiError(500, 'not_reachable', `${what}: ${outcome.code}: ${outcome.message}`);
    }
    return outcome;
  }

  private expireIdle(): void {
    const cutoff = this.now() - STREAM_IDLE_MS;
    for (const [id, s] of this.streams) if (s.lastUsedAt < cutoff) this.streams.delete(id);
  }
}

/** The reference's 502 texts for a peer we could not reach (local-API spec §3.1). */
export function notReachable(err: unknown, refusedText: string): ApiError {
  if (err instanceof RejectedError) return new ApiError(502, 'not_reachable', err.message, { cause: err });
  const code = (err as NodeJS.ErrnoException)?.code ?? (err instanceof GatewayError ? err.code : undefined);
  if (code === 'ECONNREFUSED') return new ApiError(502, 'not_reachable', refusedText, { cause: err });
  return new ApiError(502, 'not_reachable', `Cannot reach target: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
