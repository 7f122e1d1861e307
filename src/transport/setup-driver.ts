// Runs a pure connection-setup machine (protocol/initiator-setup.ts, receiver-setup.ts) over a
// real socket: feeds it frames, executes its actions, and bounds every phase with its own
// deadline (handshake, negotiation, card, approval, policy decision). The reference has no
// deadline on TLS accept or the card exchange (wire spec §11, §21 items 3-4); we have one on all.

import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { CARD_TIMEOUT_MS, HANDSHAKE_TIMEOUT_MS, NEGOTIATION_TIMEOUT_MS } from '../protocol/constants.js';
import type { DecidePeer, EstablishedLocal, PolicyVerdictForSetup, SetupAction, SetupPhase } from '../protocol/connection-setup.js';
import { GatewayError, ProtocolError, RejectedError, TimeoutError } from '../protocol/errors.js';
import { FrameDecoder } from '../protocol/frame.js';

/** What both machines offer the driver. */
export interface SetupMachine {
  readonly phase: SetupPhase;
  start(): SetupAction[];
  receive(frame: Uint8Array): SetupAction[];
  peerClosed(): SetupAction[];
  decided?(verdict: PolicyVerdictForSetup): SetupAction[];
}

export type Established = Extract<SetupAction, { kind: 'established' }>;

export interface SetupTimeouts {
  /** @default 5000 */
  readonly handshakeMs?: number;
  /** @default 5000 */
  readonly negotiationMs?: number;
  /** The reference has none; a stalled card exchange must not hold a connection forever. @default 5000 */
  readonly cardMs?: number;
  /** How long a pending peer may take to send the one envelope it gets answered (§4.4). @default 5000 */
  readonly approvalMs?: number;
  /** Our own policy decision (may include a DNS lookup). @default 10000 */
  readonly decideMs?: number;
}

export interface RunSetupOptions {
  readonly socket: Duplex;
  readonly machine: SetupMachine;
  readonly log: Logger;
  readonly timeouts?: SetupTimeouts;
  /** Receiver only: the connection policy for a peer that passed the handshake. */
  readonly decide?: (peer: DecidePeer, local: EstablishedLocal) => Promise<PolicyVerdictForSetup>;
  readonly signal?: AbortSignal;
}

export interface SetupResult {
  readonly established: Established;
  /** Keeps any partial frame that followed setup; the session continues with it. */
  readonly decoder: FrameDecoder;
  /** Whole frames that followed setup in the same reads. */
  readonly pendingFrames: readonly Buffer[];
}

/**
 * Drives `machine` to the end. Resolves when the session is established; rejects with a
 * RejectedError (refused, pending approval: `code` says which), a ProtocolError or a
 * TimeoutError (with the phase). On rejection the socket has been closed or destroyed.
 */
export function runSetup(options: RunSetupOptions): Promise<SetupResult> {
  const { socket, machine, log } = options;
  const t = options.timeouts ?? {};
  const deadlineFor = (phase: SetupPhase): { ms: number; name: string } | undefined => {
    switch (phase) {
      case 'handshake':
        return { ms: t.handshakeMs ?? HANDSHAKE_TIMEOUT_MS, name: 'handshake' };
      case 'negotiation':
        return { ms: t.negotiationMs ?? NEGOTIATION_TIMEOUT_MS, name: 'negotiation' };
      case 'card':
        return { ms: t.cardMs ?? CARD_TIMEOUT_MS, name: 'card exchange' };
      case 'approval':
        return { ms: t.approvalMs ?? NEGOTIATION_TIMEOUT_MS, name: 'approval request' };
      case 'deciding':
        return { ms: t.decideMs ?? 10_000, name: 'policy decision' };
      default:
        return undefined;
    }
  };

  return new Promise<SetupResult>((resolve, reject) => {
    const decoder = new FrameDecoder();
    let timer: NodeJS.Timeout | undefined;
    let timedPhase: SetupPhase | undefined;
    let settled = false;
    let rejection: { code: string; reason: string } | undefined;
    let pendingMessage: string | undefined;

    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error, graceful = false): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (graceful) {
        socket.end();
        setTimeout(() => socket.destroy(), 1_000).unref();
      } else {
        socket.destroy();
      }
      reject(err);
    };
    const armDeadline = (): void => {
      const phase = machine.phase;
      if (phase === timedPhase) return;
      timedPhase = phase;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const deadline = deadlineFor(phase);
      if (!deadline) return;
      timer = setTimeout(() => {
        log.warn({ phase: deadline.name, ms: deadline.ms }, 'connection setup timed out');
        fail(new TimeoutError(deadline.name, deadline.ms));
      }, deadline.ms);
    };

    const execute = (actions: readonly SetupAction[], extraFrames: readonly Buffer[] = []): void => {
      for (const action of actions) {
        if (settled) return;
        switch (action.kind) {
          case 'write':
            socket.write(action.bytes);
            break;
          case 'set-max-frame':
            decoder.setMaxFrameBytes(action.bytes);
            break;
          case 'decide':
            runDecision(action.peer, action.local);
            break;
          case 'pending-approval':
            pendingMessage = action.message;
            break;
          case 'rejected':
            rejection = { code: action.code, reason: action.reason };
            break;
          case 'close': {
            const err =
              pendingMessage !== undefined
                ? new RejectedError('approval_pending', pendingMessage)
                : rejection !== undefined
                  ? rejectionError(rejection.code, rejection.reason)
                  : new RejectedError('closed', action.reason);
            log.debug({ code: (err as GatewayError).code, reason: err.message }, 'connection setup ended');
            fail(err, action.graceful);
            return;
          }
          case 'established':
            settled = true;
            cleanup();
            resolve({ established: action, decoder, pendingFrames: [...action.pendingFrames, ...extraFrames] });
            return;
        }
      }
      armDeadline();
    };

    const runDecision = (peer: DecidePeer, local: EstablishedLocal): void => {
      const decide = options.decide;
      if (!decide || !machine.decided) {
        fail(new TypeError('a receiver setup needs a decide() callback'));
        return;
      }
      decide(peer, local).then(
        (verdict) => {
          if (settled) return;
          execute(machine.decided!(verdict));
        },
        (err: unknown) => {
          log.error({ err }, 'policy decision failed; refusing the connection');
          if (!settled) execute(machine.decided!('reject'));
        },
      );
    };

    const onData = (chunk: Buffer): void => {
      if (settled) return;
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        log.warn({ err, phase: machine.phase }, 'bad frame during connection setup');
        fail(err as Error);
        return;
      }
      for (let i = 0; i < frames.length; i++) {
        if (settled) {
          return;
        }
        const actions = machine.receive(frames[i]!);
        // Frames after the one that completed setup already belong to the session.
        const done = actions.some((a) => a.kind === 'established');
        execute(actions, done ? frames.slice(i + 1) : []);
        if (done) return;
      }
    };
    const onEnd = (): void => {
      if (!settled) execute(machine.peerClosed());
      if (!settled) fail(new RejectedError('closed', `peer closed the connection during ${machine.phase}`));
    };
    const onError = (err: Error): void => {
      if (!settled) fail(new GatewayError('socket_error', `socket error during ${machine.phase}: ${err.message}`, { cause: err }));
    };
    const onAbort = (): void => fail(new GatewayError('aborted', 'connection setup aborted'));

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    execute(machine.start());
  });
}

function rejectionError(code: string, reason: string): Error {
  // Bad bytes are protocol errors; refusals (blocked, wrong agent, version) are rejections.
  if (['invalid_signature', 'invalid_envelope', 'protocol_violation', 'sequence_violation', 'card_too_large', 'card_key_mismatch', 'message_too_large'].includes(code)) {
    return new ProtocolError(code as ProtocolError['code'], reason);
  }
  return new RejectedError(code, reason);
}
