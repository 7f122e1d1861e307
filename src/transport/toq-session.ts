// An established toq session (after handshake, negotiation and card exchange) over one socket:
// frames in and out, signature checks, sequence order, id dedup, acks matched by ack_id,
// heartbeats and graceful disconnect. It knows nothing about A2A, stores or handlers: deliveries
// go to the `onEnvelope` callback, and the ack is sent only after that callback has settled.

import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ACK_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  INBOUND_IDLE_TIMEOUT_MS,
  MAX_FRAME_BYTES,
} from '../protocol/constants.js';
import { GatewayError, ProtocolError, TimeoutError } from '../protocol/errors.js';
import { FrameDecoder, encodeFrame } from '../protocol/frame.js';
import type { Identity } from '../protocol/ed25519.js';
import type { AgentCard } from '../protocol/card.js';
import type { JsonValue } from '../protocol/json-value.js';
import { isJsonObject } from '../protocol/json-value.js';
import { parseEnvelope, serializeEnvelope, signEnvelope, verifyEnvelope, type Envelope } from '../protocol/envelope.js';
import { checkEnvelope, SequenceTracker } from '../protocol/envelope-checks.js';
import { formatTimestamp } from '../protocol/timestamp.js';
import { isAckedType, type MessageType } from '../protocol/message-types.js';
import { randomUUID } from 'node:crypto';

/**
 * Ids already delivered, shared by every session of a node (and persisted by the daemon), so a
 * retry on a new connection is acked again but never delivered twice. Keys are scoped per peer key.
 */
export interface DeliveredIds {
  seen(key: string): boolean;
  remember(key: string): void;
}

/** Inbound frames handled per turn of the event loop (see drainInbound). */
const FRAMES_PER_SLICE = 4;

export interface SessionPeer {
  /** Raw 32-byte Ed25519 key from the handshake. */
  readonly publicKey: Uint8Array;
  readonly publicKeyText: string;
  readonly keyObject: KeyObject;
  /** Canonical handshake address of the peer. */
  readonly address: string;
  readonly agentName: string;
  /** The card the peer sent in setup (spec §6.2). */
  readonly card?: AgentCard;
  /** The receiver's `sess-…` id from the handshake (spec §4.2). */
  readonly sessionId?: string;
}

export interface SessionLocal {
  readonly identity: Identity;
  /** Our canonical address for the agent this session speaks for. */
  readonly address: string;
  readonly agentName: string;
}

export interface ToqSessionOptions {
  /** 'outbound' sessions send heartbeats; 'inbound' ones answer them. */
  readonly direction: 'inbound' | 'outbound';
  readonly socket: Duplex;
  readonly peer: SessionPeer;
  readonly local: SessionLocal;
  /** First sequence number we send on this session (2 after card exchange, spec §8). */
  readonly nextSendSequence: bigint;
  /** Highest sequence the peer used during setup (1: its card). */
  readonly lastReceivedSequence: bigint;
  /** The setup's decoder: it may hold the start of the next frame. */
  readonly decoder?: FrameDecoder;
  /** Frames that arrived in the same read as the end of setup; they belong to this session. */
  readonly pendingFrames?: readonly Buffer[];
  /** Shared across sessions, so a retry on a new connection is not delivered twice. */
  readonly dedup: DeliveredIds;
  readonly log: Logger;
  readonly now?: () => number;
  /** @default 1048576 */
  readonly maxFrameBytes?: number;
  /** @default 10000 */
  readonly ackTimeoutMs?: number;
  /** @default 30000 (outbound sessions only) */
  readonly heartbeatIntervalMs?: number;
  /** @default 90000 */
  readonly heartbeatTimeoutMs?: number;
  /** An inbound session that receives nothing for this long is closed. @default 900000 */
  readonly idleTimeoutMs?: number;
  /** @default 256 */
  readonly maxInFlight?: number;
  /** How long `closed` waits for deliveries already under way. @default 5000 */
  readonly closeDrainMs?: number;
  /**
   * Called for every deliverable message (send, close, chunk, end). The ack waits for it. A
   * ProtocolError it throws refuses the message with a system.error of that code (no ack, not
   * remembered); any other error is a failed commit (system.error resource_exhausted, no ack).
   */
  readonly onEnvelope?: (envelope: Envelope, session: ToqSession) => void | Promise<void>;
  /**
   * Called for the unacked types a receiver acts on, in arrival order with the deliveries (a
   * cancel never overtakes what it cancels): `message.cancel`, and a `system.error` that answers
   * none of our sends waiting here for an ack (one about a message the peer acked already, or sent
   * on another session: DESIGN §5.2). Nothing is answered; errors are logged.
   */
  readonly onNotice?: (envelope: Envelope, session: ToqSession) => void | Promise<void>;
}

export interface SendFields {
  readonly type: MessageType;
  readonly body?: JsonValue;
  readonly thread_id?: string;
  readonly reply_to?: string;
  readonly content_type?: string;
  readonly priority?: 'normal' | 'urgent';
  readonly ttl?: bigint;
  /** Re-use an id (a retry of the same message); default a fresh UUID v4. */
  readonly id?: string;
  /** Recipient; default the peer's address. */
  readonly to?: string;
}

/** What the peer answered to one of our messages ('sent': a type nobody acks, e.g. a heartbeat). */
export type SendOutcome =
  | { readonly status: 'sent'; readonly id: string }
  | { readonly status: 'acked'; readonly id: string; readonly ack: Envelope }
  | { readonly status: 'error'; readonly id: string; readonly code: string; readonly message: string; readonly error: Envelope };

interface PendingAck {
  resolve(outcome: SendOutcome): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ToqSession {
  readonly direction: 'inbound' | 'outbound';
  readonly peer: SessionPeer;
  readonly local: SessionLocal;
  readonly closed: Promise<Error | undefined>;
  /** Epoch milliseconds when the session was established. */
  readonly connectedAt: number;

  private readonly socket: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly received: SequenceTracker;
  private readonly seenIds: DeliveredIds;
  private readonly localAgents: ReadonlyMap<string, string>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly ackTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly closeDrainMs: number;
  private readonly onEnvelope: ToqSessionOptions['onEnvelope'];
  private readonly onNotice: ToqSessionOptions['onNotice'];

  private nextSequence: bigint;
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly slotWaiters: Array<() => void> = [];
  /** Inbound deliveries run one after another, so acks leave in arrival order. */
  private inboundChain: Promise<void> = Promise.resolve();
  private unackedInbound = 0;
  private lastReceivedAt: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private outstandingHeartbeat: { id: string; sentAt: number } | undefined;
  private isClosing = false;
  /** The peer sent session.disconnect: we send nothing new on this session. */
  private isPeerGone = false;
  /** Set by destroy(): a protocol breach, so frames still queued are not processed. */
  private isBroken = false;
  private outFrames: Buffer[] = [];
  private readonly inboundFrames: Buffer[] = [];
  private readonly deliveriesUnderway = new Map<string, Promise<void>>();
  private isDrainScheduled = false;
  private isFlushScheduled = false;
  private counters = { envelopesSent: 0, envelopesReceived: 0, heartbeatsAnswered: 0 };
  private resolveClosed!: (err: Error | undefined) => void;

  constructor(options: ToqSessionOptions) {
    this.direction = options.direction;
    this.socket = options.socket;
    this.peer = options.peer;
    this.local = options.local;
    // Ids are only unique per sender: scope them by the peer's key.
    const scope = `${options.peer.publicKeyText} `;
    this.seenIds = {
      seen: (id) => options.dedup.seen(scope + id),
      remember: (id) => options.dedup.remember(scope + id),
    };
    this.localAgents = new Map([[options.local.agentName, options.local.address]]);
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? INBOUND_IDLE_TIMEOUT_MS;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.closeDrainMs = options.closeDrainMs ?? 5_000;
    this.onEnvelope = options.onEnvelope;
    this.onNotice = options.onNotice;
    this.nextSequence = options.nextSendSequence;
    this.received = new SequenceTracker(options.lastReceivedSequence);
    this.decoder = options.decoder ?? new FrameDecoder();
    this.decoder.setMaxFrameBytes(options.maxFrameBytes ?? MAX_FRAME_BYTES);
    this.lastReceivedAt = this.now();
    this.connectedAt = this.lastReceivedAt;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.finish(undefined, 'peer ended the stream'));
    this.socket.on('close', () => this.finish(undefined, 'socket closed'));
    this.socket.on('error', (err: Error) => this.finish(asGatewayError(err), 'socket error'));
    if (this.direction === 'outbound') this.scheduleHeartbeat();
    else this.scheduleIdleCheck();
    for (const frame of options.pendingFrames ?? []) this.inboundFrames.push(frame);
    if (this.inboundFrames.length > 0) this.drainInbound();
  }

  get isOpen(): boolean {
    return !this.isClosing && !this.isPeerGone;
  }

  get inFlight(): number {
    return this.pendingAcks.size;
  }

  /** Counters for status pages and tests: envelopes each way, heartbeats the peer answered. */
  get stats(): { envelopesSent: number; envelopesReceived: number; heartbeatsAnswered: number; inFlight: number } {
    return { ...this.counters, inFlight: this.pendingAcks.size };
  }

  /**
   * Signs and sends one envelope. For acked types the promise settles with the peer's ack
   * (matched by ack_id) or its system.error (matched by related_id); for others at once.
   */
  async send(fields: SendFields, options: { signal?: AbortSignal } = {}): Promise<SendOutcome> {
    const needsAck = isAckedType(fields.type);
    while (needsAck && this.pendingAcks.size >= this.maxInFlight && !this.isClosing) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    if (!this.isOpen) throw new GatewayError('session_closed', `session to ${this.peer.address} is closed`);
    const envelope = this.buildEnvelope(fields);
    if (!needsAck) {
      await this.writeEnvelope(envelope, options.signal);
      return { status: 'sent', id: envelope.id };
    }
    const outcome = new Promise<SendOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelope.id);
        this.releaseSlot();
        reject(new TimeoutError('ack', this.ackTimeoutMs));
      }, this.ackTimeoutMs);
      this.pendingAcks.set(envelope.id, { resolve, reject, timer });
    });
    // If the write below fails, the caller gets that error and `outcome` is never returned.
    outcome.catch(() => undefined);
    try {
      await this.writeEnvelope(envelope, options.signal);
    } catch (err) {
      this.settleAck(envelope.id, undefined, err as Error);
      throw err;
    }
    return outcome;
  }

  /** Sends session.disconnect (best effort), then ends the socket; destroys it after a deadline. */
  async close(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.isClosing) {
      await this.closed;
      return;
    }
    if (options.graceful !== false && this.socket.writable) {
      try {
        this.flush();
        this.socket.write(serializeFrame(this.buildEnvelope({ type: 'session.disconnect' })));
      } catch (err) {
        this.log.debug({ err }, 'disconnect write failed');
      }
    }
    this.isClosing = true;
    this.flush();
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), options.timeoutMs ?? 2_000);
    timer.unref();
    this.finish(undefined, 'closed by us');
    await this.closed;
    clearTimeout(timer);
  }

  /** Closes at once without a disconnect envelope (fatal protocol errors). */
  destroy(err?: Error): void {
    this.isBroken = true;
    this.finish(err, err?.message ?? 'destroyed');
    this.socket.destroy();
  }

  private buildEnvelope(fields: SendFields): Envelope {
    const sequence = this.nextSequence;
    this.nextSequence += 1n;
    return signEnvelope(
      {
        version: '0.1',
        id: fields.id ?? randomUUID(),
        type: fields.type,
        from: this.local.address,
        to: [fields.to ?? this.peer.address],
        ...(fields.thread_id !== undefined && { thread_id: fields.thread_id }),
        ...(fields.reply_to !== undefined && { reply_to: fields.reply_to }),
        sequence,
        timestamp: formatTimestamp(this.now()),
        ...(fields.priority !== undefined && { priority: fields.priority }),
        ...(fields.content_type !== undefined && { content_type: fields.content_type }),
        ...(fields.ttl !== undefined && { ttl: fields.ttl }),
        ...(fields.body !== undefined && { body: fields.body }),
      },
      this.local.identity,
    );
  }

  /**
   * Queues one frame; every frame queued in the same tick leaves in one socket write (one TLS
   * record and one syscall instead of one per frame: with 16 messages in flight this is most of
   * the write cost). Resolves at once, or after 'drain' when the socket is backed up.
   */
  private async writeEnvelope(envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.isClosing || !this.socket.writable) {
      throw new GatewayError('session_closed', `session to ${this.peer.address} is closed`);
    }
    this.outFrames.push(serializeFrame(envelope));
    this.counters.envelopesSent += 1;
    if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      process.nextTick(() => this.flush());
    }
    if (this.socket.writableNeedDrain) {
      // Backpressure: wait for the socket to drain before the caller sends more.
      await once(this.socket, 'drain', signal ? { signal } : {});
    }
  }

  private flush(): void {
    this.isFlushScheduled = false;
    const frames = this.outFrames;
    if (frames.length === 0 || this.socket.destroyed) return;
    this.outFrames = [];
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  private onData(chunk: Buffer): void {
    if (this.isClosing) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.log.warn({ err, peer: this.peer.address }, 'bad frame from peer; closing session');
      this.destroy(asGatewayError(err));
      return;
    }
    if (frames.length === 0) return;
    for (const frame of frames) this.inboundFrames.push(frame);
    if (!this.isDrainScheduled) this.drainInbound();
  }

  /**
   * Handles queued frames a few at a time and yields in between, so the answers to the first
   * ones (acks) leave while later ones are still being verified: the two peers then work in
   * parallel instead of passing one large batch back and forth. Measured in bench/wire.ts.
   */
  private drainInbound(): void {
    this.isDrainScheduled = false;
    for (let i = 0; i < FRAMES_PER_SLICE; i++) {
      const frame = this.inboundFrames.shift();
      // Frames that arrived before the peer closed are still handled (a reference sender may
      // send a message and session.disconnect and drop the connection at once, §20 item 20).
      if (frame === undefined || this.isBroken) return;
      this.onFrame(frame);
    }
    if (this.inboundFrames.length > 0 && !this.isBroken) {
      this.isDrainScheduled = true;
      setImmediate(() => this.drainInbound());
    }
  }

  private onFrame(frame: Buffer): void {
    this.lastReceivedAt = this.now();
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(frame, { allowUnknownType: true });
    } catch (err) {
      this.log.warn({ err, peer: this.peer.address, bytes: frame.length }, 'malformed envelope from peer; closing session');
      this.destroy(asGatewayError(err));
      return;
    }
    if (!verifyEnvelope(envelope, this.peer.keyObject)) {
      this.log.warn({ id: envelope.id, type: envelope.type, peer: this.peer.address }, 'bad signature from peer; closing session');
      this.destroy(new ProtocolError('invalid_signature', `signature of envelope ${envelope.id} does not verify with the handshake key`));
      return;
    }
    this.counters.envelopesReceived += 1;
    this.log.debug({ id: envelope.id, type: envelope.type, seq: envelope.sequence }, 'envelope received');

    const verdict = checkEnvelope(envelope, {
      peerAddress: this.peer.address,
      localAgents: this.localAgents,
      sequence: this.received,
      dedup: this.seenIds,
      now: this.now,
    });
    switch (verdict.action) {
      case 'close':
        this.log.warn({ id: envelope.id, type: envelope.type, err: verdict.error, peer: this.peer.address }, 'envelope breaks the protocol; closing session');
        this.destroy(verdict.error);
        return;
      case 'drop':
        this.log.warn({ id: envelope.id, type: envelope.type, code: verdict.error.code, peer: this.peer.address }, 'envelope dropped');
        return;
      case 'system-error':
        // Refused and never delivered (e.g. a replayed sequence number, DESIGN §8).
        this.log.warn({ id: envelope.id, type: envelope.type, code: verdict.error.code, peer: this.peer.address }, verdict.error.message);
        this.enqueueInbound(async () => this.sendError(verdict.reply.code, verdict.reply.message, envelope.id));
        return;
      case 'ack-duplicate':
        this.log.debug({ id: envelope.id }, 'duplicate id: acked again, not delivered');
        this.enqueueInbound(async () => this.sendAck(envelope.id));
        return;
      case 'deliver':
        if (verdict.warnings.length > 0) this.log.debug({ id: envelope.id, warnings: verdict.warnings }, 'recipient named by another address');
        break;
    }

    switch (envelope.type) {
      case 'message.ack':
        this.onAck(envelope);
        return;
      case 'system.error':
        this.onSystemError(envelope);
        return;
      case 'system.heartbeat':
        this.enqueueInbound(async () => {
          await this.writeEnvelope(this.buildEnvelope({ type: 'system.heartbeat.ack', reply_to: envelope.id }));
        });
        return;
      case 'system.heartbeat.ack':
        if (this.outstandingHeartbeat?.id === envelope.reply_to) {
          this.outstandingHeartbeat = undefined;
          this.counters.heartbeatsAnswered += 1;
        }
        return;
      case 'session.disconnect':
        // No new sends from us; the acks of what came before still go out, then we end.
        this.log.debug({ peer: this.peer.address }, 'peer disconnected');
        this.isPeerGone = true;
        this.enqueueInbound(async () => {
          this.flush();
          this.isClosing = true;
          this.socket.end();
          this.finish(undefined, 'peer sent session.disconnect');
        });
        return;
      case 'message.cancel':
        this.onNoticeEnvelope(envelope);
        return;
      default:
        if (isAckedType(envelope.type)) {
          this.onDeliverable(envelope);
          return;
        }
        // Unknown or unexpected types are ignored (forward compatible), never answered.
        this.log.info({ id: envelope.id, type: envelope.type, peer: this.peer.address }, 'ignored envelope type');
    }
  }

  /**
   * Starts the delivery at once (so deliveries of several frames, and of several sessions, can
   * share one store commit) and queues the answer, so acks still leave in arrival order and each
   * only after its own delivery has settled.
   */
  private onDeliverable(envelope: Envelope): void {
    this.unackedInbound += 1;
    const delivery = this.deliver(envelope);
    this.enqueueInbound(async () => {
      try {
        await delivery;
      } catch (err) {
        if (err instanceof ProtocolError) {
          // Refused by the receiving side's rules (e.g. a reply-only peer off its threads).
          this.log.info({ id: envelope.id, code: err.code, peer: this.peer.address }, err.message);
          await this.sendError(err.code, err.message, envelope.id);
          return;
        }
        // Not committed: no ack, so the sender keeps the message and retries.
        this.log.error({ err, id: envelope.id }, 'delivery failed; not acknowledged');
        await this.sendError('resource_exhausted', 'message could not be stored; retry later', envelope.id);
        return;
      } finally {
        this.unackedInbound -= 1;
      }
      await this.sendAck(envelope.id);
    });
  }

  /**
   * Delivers one envelope once: a copy that arrives while the first is being committed waits for
   * it. Called right after checkEnvelope() found the id unseen in the same synchronous step, so
   * the seen ids are not read again; only a copy still under way can be there.
   */
  private deliver(envelope: Envelope): Promise<void> {
    const underway = this.deliveriesUnderway.get(envelope.id);
    if (underway !== undefined) return underway;
    const delivery = (async () => {
      await this.onEnvelope?.(envelope, this);
      this.seenIds.remember(envelope.id);
    })();
    this.deliveriesUnderway.set(envelope.id, delivery);
    const forget = (): void => {
      this.deliveriesUnderway.delete(envelope.id);
    };
    delivery.then(forget, forget);
    return delivery;
  }

  private async sendAck(ackId: string): Promise<void> {
    await this.writeEnvelope(this.buildEnvelope({ type: 'message.ack', body: { ack_id: ackId } }));
  }

  private onAck(envelope: Envelope): void {
    const ackId = isJsonObject(envelope.body) ? envelope.body['ack_id'] : undefined;
    if (typeof ackId !== 'string' || !this.pendingAcks.has(ackId)) {
      this.log.debug({ id: envelope.id, ackId }, 'ack for nothing pending');
      return;
    }
    this.settleAck(ackId, { status: 'acked', id: ackId, ack: envelope });
  }

  private onSystemError(envelope: Envelope): void {
    const body = isJsonObject(envelope.body) ? envelope.body : {};
    const related = body['related_id'];
    const code = typeof body['code'] === 'string' ? body['code'] : 'unknown';
    const message = typeof body['message'] === 'string' ? body['message'] : '';
    this.log.info({ id: envelope.id, code, related, peer: this.peer.address }, 'system.error from peer');
    if (typeof related === 'string' && this.pendingAcks.has(related)) {
      this.settleAck(related, { status: 'error', id: related, code, message, error: envelope });
      return;
    }
    // No send waits for it here: the receiver may still act on it (DESIGN §5.2).
    this.onNoticeEnvelope(envelope);
  }

  /** Hands an unacked envelope the receiver acts on to onNotice, in order with the deliveries. */
  private onNoticeEnvelope(envelope: Envelope): void {
    const onNotice = this.onNotice;
    if (onNotice === undefined) {
      this.log.debug({ id: envelope.id, type: envelope.type }, 'notice ignored');
      return;
    }
    this.enqueueInbound(async () => {
      try {
        await onNotice(envelope, this);
      } catch (err) {
        this.log.info({ err, id: envelope.id, type: envelope.type, peer: this.peer.address }, 'notice not applied');
      }
    });
  }

  private settleAck(id: string, outcome: SendOutcome | undefined, err?: Error): void {
    const pending = this.pendingAcks.get(id);
    if (!pending) return;
    this.pendingAcks.delete(id);
    clearTimeout(pending.timer);
    if (outcome) pending.resolve(outcome);
    else pending.reject(err ?? new GatewayError('session_lost', 'session closed before the ack'));
    this.releaseSlot();
  }

  private releaseSlot(): void {
    this.slotWaiters.shift()?.();
  }

  private enqueueInbound(task: () => Promise<void>): void {
    this.inboundChain = this.inboundChain.then(task).catch((err: unknown) => {
      this.log.debug({ err }, 'inbound reply could not be written');
    });
  }

  private async sendError(code: string, message: string, relatedId: string): Promise<void> {
    await this.writeEnvelope(this.buildEnvelope({ type: 'system.error', body: { code, message, related_id: relatedId } }));
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = setTimeout(() => this.heartbeatTick(), Math.min(this.heartbeatIntervalMs, this.heartbeatTimeoutMs));
    this.heartbeatTimer.unref();
  }

  private heartbeatTick(): void {
    if (this.isClosing) return;
    const now = this.now();
    if (this.outstandingHeartbeat && now - this.outstandingHeartbeat.sentAt >= this.heartbeatTimeoutMs) {
      this.log.warn({ peer: this.peer.address }, 'heartbeat not answered; closing session');
      this.destroy(new TimeoutError('heartbeat', this.heartbeatTimeoutMs));
      return;
    }
    // A reference sender takes the first envelope after its message as the ack: never heartbeat
    // while one of its messages is still unacknowledged.
    if (!this.outstandingHeartbeat && this.unackedInbound === 0 && now - this.lastReceivedAt >= this.heartbeatIntervalMs) {
      const heartbeat = this.buildEnvelope({ type: 'system.heartbeat' });
      this.outstandingHeartbeat = { id: heartbeat.id, sentAt: now };
      this.writeEnvelope(heartbeat).catch((err: unknown) => this.log.debug({ err }, 'heartbeat write failed'));
    }
    this.scheduleHeartbeat();
  }

  private scheduleIdleCheck(): void {
    const wait = Math.max(10, this.lastReceivedAt + this.idleTimeoutMs - this.now());
    this.idleTimer = setTimeout(() => {
      if (this.isClosing) return;
      if (this.now() - this.lastReceivedAt >= this.idleTimeoutMs) {
        this.log.info({ peer: this.peer.address }, 'inbound session idle; closing');
        void this.close();
        return;
      }
      this.scheduleIdleCheck();
    }, wait);
    this.idleTimer.unref();
  }

  /**
   * Resolves once every frame already received has been handled and its delivery settled, or
   * after closeDrainMs: a delivery callback that never returns must not hold `closed` forever.
   */
  private async whenInboundSettled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn({ peer: this.peer.address, ms: this.closeDrainMs }, 'deliveries still pending at close');
        resolve();
      }, this.closeDrainMs);
      timer.unref();
    });
    const drained = (async () => {
      while (this.inboundFrames.length > 0 && !this.isBroken) await nextTurn();
      await this.inboundChain;
    })();
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
  }

  private finish(err: Error | undefined, reason: string): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.heartbeatTimer = undefined;
    this.idleTimer = undefined;
    const wasClosing = this.isClosing;
    this.isClosing = true;
    if (this.pendingAcks.size > 0) {
      // Written but not acked: the peer may or may not have it. Re-send the same id to find out.
      const failure = new GatewayError('session_lost', `session to ${this.peer.address} closed before the ack (${reason})`, { cause: err });
      for (const id of [...this.pendingAcks.keys()]) this.settleAck(id, undefined, failure);
    }
    for (const wake of this.slotWaiters.splice(0)) wake();
    if (!wasClosing || err) this.log.debug({ peer: this.peer.address, reason, err }, 'session ended');
    // Deliveries already under way still finish (a reference sender may drop right after sending).
    void this.whenInboundSettled().then(() => this.resolveClosed(err));
    if (!this.socket.destroyed && err) this.socket.destroy();
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function serializeFrame(envelope: Envelope): Buffer {
  return encodeFrame(serializeEnvelope(envelope));
}

function asGatewayError(err: unknown): Error {
  if (err instanceof GatewayError) return err;
  if (err instanceof Error) return new GatewayError('socket_error', err.message, { cause: err });
  return new GatewayError('socket_error', String(err));
}
