// What the connection-setup state machines (initiator-setup.ts, receiver-setup.ts) share: the
// actions they return to the transport, the local/peer descriptions, and the envelope helpers
// for setup frames (wire spec §3.4, §4, §6). Pure: no sockets, no timers; the transport owns
// deadlines (it reads `phase` to pick one) and executes the actions in order.

import { randomBytes as nodeRandomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { AgentCard } from './card.js';
import { MAX_FRAME_BYTES } from './constants.js';
import { createEnvelope, parseEnvelope, serializeEnvelope, verifyEnvelope, type Envelope } from './envelope.js';
import type { Identity } from './ed25519.js';
import type { ToqErrorCode } from './error-catalog.js';
import { ProtocolError } from './errors.js';
import { encodeFrame } from './frame.js';
import { parseJson } from './json-parse.js';
import { isJsonObject, type JsonValue } from './json-value.js';
import type { MessageType } from './message-types.js';
import type { Features, NegotiatedFeatures } from './negotiation.js';

/** One of our agents, as connection setup needs it. */
export interface LocalAgent {
  readonly identity: Identity;
  /** Our address for this agent; re-rendered canonically (§2.2) before use. */
  readonly address: string;
  readonly card: AgentCard;
  /** What we offer in negotiation. @default DEFAULT_FEATURES */
  readonly features?: Features;
}

/** Injected randomness and clock, so transcripts are reproducible in tests. */
export interface SetupEnvironment {
  /** Epoch milliseconds (integer), used for envelope timestamps. */
  readonly now: () => number;
  /** @default node:crypto randomBytes */
  readonly randomBytes?: (n: number) => Uint8Array;
  /** A lowercase hyphenated v4 UUID (envelope ids, session id). @default node:crypto randomUUID */
  readonly randomUuid?: () => string;
}

export interface EstablishedPeer {
  readonly publicKey: Uint8Array;
  readonly publicKeyText: string;
  readonly keyObject: KeyObject;
  /** The peer's handshake address, canonical. */
  readonly address: string;
  readonly agentName: string;
  readonly card: AgentCard;
  /** The receiver's `sess-…` id (chosen by the receiver; ours when we are the receiver). */
  readonly sessionId: string;
}

export interface EstablishedLocal {
  readonly identity: Identity;
  /** Canonical. */
  readonly address: string;
  readonly agentName: string;
  readonly card: AgentCard;
}

/**
 * Where a machine is. The transport picks the deadline by phase: handshake, negotiation and
 * card are bounded by their own timeouts; `deciding` waits for our own policy (DNS); `approval`
 * waits for the one envelope a pending peer gets to send (§4.4).
 */
export type SetupPhase = 'idle' | 'handshake' | 'deciding' | 'approval' | 'negotiation' | 'card' | 'done';

export type SetupAction =
  /** Write these bytes (one frame, or magic + the first frame). */
  | { readonly kind: 'write'; readonly bytes: Buffer }
  /** Cap the next frames at this many bytes (64 KiB in the handshake, 1 MiB after; §3.3). */
  | { readonly kind: 'set-max-frame'; readonly bytes: number }
  /** Receiver only: run the connection policy for this peer, then call `decided(verdict)`. */
  | { readonly kind: 'decide'; readonly peer: DecidePeer; readonly local: EstablishedLocal }
  | {
      readonly kind: 'established';
      readonly peer: EstablishedPeer;
      readonly local: EstablishedLocal;
      readonly negotiated: NegotiatedFeatures;
      /** Our next outgoing sequence number: 0 was negotiation, 1 the card (§3.4, §20 item 21). */
      readonly nextSendSequence: bigint;
      /** The peer's highest sequence so far (its card's). */
      readonly lastReceivedSequence: bigint;
      /** Frames that arrived (queued) before setup finished and belong to the session. */
      readonly pendingFrames: readonly Buffer[];
    }
  /** Initiator: the receiver holds us for approval. Receiver: we told the peer it is pending. */
  | { readonly kind: 'pending-approval'; readonly message: string }
  /** Setup failed. `code` is from the error catalog; `reason` says what happened. */
  | { readonly kind: 'rejected'; readonly code: ToqErrorCode; readonly reason: string }
  /** Close the connection: `graceful` = flush what was written, then end; otherwise at once. */
  | { readonly kind: 'close'; readonly reason: string; readonly graceful: boolean };

/** The initiator as the receiver's policy sees it (after the handshake, §4.4). */
export interface DecidePeer {
  readonly publicKey: Uint8Array;
  readonly publicKeyText: string;
  readonly keyObject: KeyObject;
  /** Claimed, unsigned (§4.3, §21 item 7). Canonical. */
  readonly address: string;
  readonly agentName: string;
  readonly targetAgent: string | undefined;
}

export type PolicyVerdictForSetup = 'accept' | 'reject' | 'pending';

/** Frames a receiver keeps while the policy decides; a reference initiator sends just one. */
export const MAX_QUEUED_SETUP_FRAMES = 4;

export function failure(code: ToqErrorCode, reason: string, graceful = false): SetupAction[] {
  return [
    { kind: 'rejected', code, reason },
    { kind: 'close', reason, graceful },
  ];
}

export function failureFromError(err: unknown): SetupAction[] {
  if (err instanceof ProtocolError) return failure(err.code, err.message);
  throw err;
}

/** Envelope writer for one side of a setup: signs, serializes and frames (1 MiB cap). */
export function setupEnvelopeFrame(
  local: EstablishedLocal,
  peerAddress: string,
  type: MessageType,
  sequence: bigint,
  body: JsonValue | undefined,
  env: SetupEnvironment,
): Buffer {
  const envelope = createEnvelope(
    { type, from: local.address, to: peerAddress, sequence, body },
    local.identity,
    env.now,
    env.randomUuid ?? randomUUID,
  );
  return encodeFrame(serializeEnvelope(envelope), MAX_FRAME_BYTES);
}

export function randomBytesOf(env: SetupEnvironment, n: number): Uint8Array {
  const bytes = (env.randomBytes ?? nodeRandomBytes)(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) throw new RangeError(`randomBytes(${n}) returned the wrong length`);
  return bytes;
}

/**
 * Reads a setup envelope from the peer: parse (§5.2), signature with the handshake key
 * (invalid_signature), `from` = the handshake address (protocol_violation, DESIGN §8), sequence
 * above the last one in this setup (sequence_violation). A handshake object where an envelope
 * is due is a second handshake: protocol_violation.
 */
export function readSetupEnvelope(
  frame: Uint8Array,
  peerKey: KeyObject,
  peerAddress: string,
  lastSequence: bigint | undefined,
): Envelope {
  let env: Envelope;
  try {
    env = parseEnvelope(frame);
  } catch (err) {
    if (err instanceof ProtocolError && looksLike(frame, 'handshake')) {
      throw new ProtocolError('protocol_violation', 'a second handshake object arrived where an envelope was due', { cause: err });
    }
    throw err;
  }
  if (!verifyEnvelope(env, peerKey)) {
    throw new ProtocolError('invalid_signature', `${env.type} ${env.id} has a bad signature`);
  }
  if (env.from !== peerAddress) {
    throw new ProtocolError('protocol_violation', `${env.type} from ${env.from} does not match handshake address ${peerAddress}`);
  }
  if (lastSequence !== undefined && env.sequence <= lastSequence) {
    throw new ProtocolError('sequence_violation', `${env.type} sequence ${env.sequence} is not above ${lastSequence}`);
  }
  return env;
}

/** Only consulted after a parse failure, to give state misuse its own code. */
export function looksLike(frame: Uint8Array, what: 'handshake' | 'envelope'): boolean {
  let v: JsonValue;
  try {
    v = parseJson(frame);
  } catch {
    // Not JSON: it looks like nothing in particular.
    return false;
  }
  if (!isJsonObject(v)) return false;
  if (what === 'handshake') return 'challenge' in v && 'challenge_signature' in v && !('type' in v);
  return 'type' in v && 'signature' in v && 'sequence' in v;
}
