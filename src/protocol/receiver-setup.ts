// The receiver's connection setup as a pure state machine (wire spec §3.4, §4.2-4.4, §6,
// DESIGN §3): verify the initiator, pick the agent named by `target_agent`, answer with our
// credentials, let the transport run the (asynchronous) policy, then negotiation and cards, or
// the pending-approval / reject paths. No sockets, no timers: frames in, actions out.

import { randomUUID } from 'node:crypto';
import { canonicalAddress, parseAddress } from './address.js';
import { cardBody, readPeerCard } from './card.js';
import {
  failure,
  failureFromError,
  looksLike,
  MAX_QUEUED_SETUP_FRAMES,
  randomBytesOf,
  readSetupEnvelope,
  setupEnvelopeFrame,
  type EstablishedLocal,
  type LocalAgent,
  type PolicyVerdictForSetup,
  type SetupAction,
  type SetupEnvironment,
  type SetupPhase,
} from './connection-setup.js';
import { MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';
import { encodeFrame } from './frame.js';
import {
  agentNotFoundMessage,
  buildReceiverCredentials,
  CHALLENGE_BYTES,
  parseInitiatorCredentials,
  serializeHandshakeError,
  serializeReceiverCredentials,
  type VerifiedInitiator,
} from './handshake.js';
import {
  approvalRequestBody,
  DEFAULT_FEATURES,
  evaluateNegotiateRequest,
  type Features,
  type NegotiatedFeatures,
} from './negotiation.js';

export interface ReceiverSetupOptions extends SetupEnvironment {
  /**
   * Which of our agents answers (DESIGN §3). Called with the initiator's `target_agent`, or
   * undefined when it sent none (then: the default agent). undefined → the error object + close.
   */
  readonly resolveAgent: (targetAgent?: string) => LocalAgent | undefined;
}

/**
 * Usage: `start()`, then `receive(frame)` per frame (frames after the magic bytes, which the
 * FrameDecoder checks), `decided(verdict)` once the transport has run the policy for the
 * `decide` action, `peerClosed()` on end of stream. Frames that arrive while the policy decides
 * are queued here. After a terminal action the machine is `done`; more input is a RangeError.
 */
export class ReceiverSetup {
  private state: SetupPhase = 'idle';
  private local: EstablishedLocal | undefined;
  private features: Features = DEFAULT_FEATURES;
  private initiator: VerifiedInitiator | undefined;
  private sessionId = '';
  private negotiated: NegotiatedFeatures | undefined;
  private lastSequence: bigint | undefined;
  private queue: Buffer[] = [];

  constructor(private readonly options: ReceiverSetupOptions) {}

  get phase(): SetupPhase {
    return this.state;
  }

  start(): SetupAction[] {
    if (this.state !== 'idle') throw new RangeError('ReceiverSetup.start() called twice');
    this.state = 'handshake';
    return [{ kind: 'set-max-frame', bytes: MAX_HANDSHAKE_FRAME_BYTES }];
  }

  receive(frame: Uint8Array): SetupAction[] {
    if (this.state === 'deciding') {
      if (this.queue.length >= MAX_QUEUED_SETUP_FRAMES) {
        this.state = 'done';
        this.queue = [];
        return failure('resource_exhausted', `more than ${MAX_QUEUED_SETUP_FRAMES} frames before the policy decided`);
      }
      this.queue.push(Buffer.from(frame));
      return [];
    }
    return this.step(frame);
  }

  /** The transport's answer to the `decide` action (§4.4). */
  decided(verdict: PolicyVerdictForSetup): SetupAction[] {
    if (this.state !== 'deciding') throw new RangeError(`ReceiverSetup.decided() in phase ${this.state}`);
    switch (verdict) {
      case 'reject':
        // Close without a word (§4.4); the initiator sees end of stream.
        this.state = 'done';
        this.queue = [];
        return failure('blocked', 'connection refused by policy', true);
      case 'pending':
        this.state = 'approval';
        break;
      case 'accept':
        this.state = 'negotiation';
        break;
      default:
        throw new RangeError(`unknown verdict ${String(verdict)}`);
    }
    const out: SetupAction[] = [];
    // step() may finish the machine (and clear the queue) part way.
    for (let frame = this.queue.shift(); frame !== undefined; frame = this.queue.shift()) {
      out.push(...this.step(frame));
    }
    return out;
  }

  peerClosed(): SetupAction[] {
    const phase = this.state;
    if (phase === 'done' || phase === 'idle') return [];
    this.state = 'done';
    this.queue = [];
    return failure('protocol_violation', `the initiator closed the connection during ${phase}`, true);
  }

  private step(frame: Uint8Array): SetupAction[] {
    try {
      switch (this.state) {
        case 'handshake':
          return this.onCredentials(frame);
        case 'approval':
          return this.onPendingEnvelope(frame);
        case 'negotiation':
          return this.onNegotiateRequest(frame);
        case 'card':
          return this.onPeerCard(frame);
        default:
          throw new RangeError(`ReceiverSetup.receive() in phase ${this.state}`);
      }
    } catch (err) {
      if (err instanceof RangeError || err instanceof TypeError) throw err;
      this.state = 'done';
      this.queue = [];
      return failureFromError(err);
    }
  }

  /** §4.3: any failure closes silently; a wrong target gets the one error object. */
  private onCredentials(frame: Uint8Array): SetupAction[] {
    let initiator: VerifiedInitiator;
    try {
      initiator = parseInitiatorCredentials(frame);
    } catch (err) {
      if (err instanceof ProtocolError && looksLike(frame, 'envelope')) {
        throw new ProtocolError('protocol_violation', 'an envelope arrived before the handshake', { cause: err });
      }
      throw err;
    }
    const agent = this.options.resolveAgent(initiator.targetAgent);
    if (agent === undefined) {
      this.state = 'done';
      const ownName = this.options.resolveAgent(undefined);
      const message = agentNotFoundMessage(initiator.targetAgent ?? '', ownName === undefined ? '' : parseAddress(ownName.address).name);
      return [
        { kind: 'write', bytes: encodeFrame(serializeHandshakeError(message), MAX_HANDSHAKE_FRAME_BYTES) },
        { kind: 'rejected', code: 'agent_unavailable', reason: message },
        { kind: 'close', reason: message, graceful: true },
      ];
    }
    const address = parseAddress(agent.address);
    const local: EstablishedLocal = {
      identity: agent.identity,
      address: canonicalAddress(agent.address),
      agentName: address.name,
      card: agent.card,
    };
    this.local = local;
    this.features = agent.features ?? DEFAULT_FEATURES;
    this.initiator = initiator;
    const sessionUuid = (this.options.randomUuid ?? randomUUID)();
    const creds = buildReceiverCredentials(agent.identity, local.address, randomBytesOf(this.options, CHALLENGE_BYTES), sessionUuid);
    this.sessionId = creds.session_id;
    this.state = 'deciding';
    // Like the reference, we reveal ourselves first and decide after (§4.4).
    return [
      { kind: 'write', bytes: encodeFrame(serializeReceiverCredentials(creds), MAX_HANDSHAKE_FRAME_BYTES) },
      { kind: 'set-max-frame', bytes: MAX_FRAME_BYTES },
      {
        kind: 'decide',
        peer: {
          publicKey: initiator.publicKey,
          publicKeyText: initiator.publicKeyText,
          keyObject: initiator.keyObject,
          address: initiator.address,
          agentName: initiator.agentName,
          targetAgent: initiator.targetAgent,
        },
        local,
      },
    ];
  }

  /** §4.4 pending: read one signed envelope, answer approval.request (seq 0), close. */
  private onPendingEnvelope(frame: Uint8Array): SetupAction[] {
    const { local, initiator } = this.ready();
    readSetupEnvelope(frame, initiator.keyObject, initiator.address, undefined);
    this.state = 'done';
    this.queue = [];
    const body = approvalRequestBody();
    return [
      { kind: 'write', bytes: setupEnvelopeFrame(local, initiator.address, 'approval.request', 0n, body, this.options) },
      { kind: 'pending-approval', message: body.message as string },
      { kind: 'close', reason: 'pending approval', graceful: true },
    ];
  }

  /** §6.1: negotiate.request first; reject (seq 0) or response (seq 0) then our card (seq 1) at once. */
  private onNegotiateRequest(frame: Uint8Array): SetupAction[] {
    const { local, initiator } = this.ready();
    const env = readSetupEnvelope(frame, initiator.keyObject, initiator.address, this.lastSequence);
    this.lastSequence = env.sequence;
    if (env.type !== 'negotiate.request') {
      throw new ProtocolError('protocol_violation', `expected negotiate.request, got ${env.type}`);
    }
    const outcome = evaluateNegotiateRequest(env.body, this.features);
    if (outcome.kind === 'reject') {
      this.state = 'done';
      this.queue = [];
      return [
        { kind: 'write', bytes: setupEnvelopeFrame(local, initiator.address, 'negotiate.reject', 0n, outcome.rejectBody, this.options) },
        ...failure('version_not_supported', 'no compatible protocol version', true),
      ];
    }
    this.negotiated = outcome.negotiated;
    this.state = 'card';
    return [
      { kind: 'write', bytes: setupEnvelopeFrame(local, initiator.address, 'negotiate.response', 0n, outcome.responseBody, this.options) },
      { kind: 'write', bytes: setupEnvelopeFrame(local, initiator.address, 'card.exchange', 1n, cardBody(local.card), this.options) },
    ];
  }

  private onPeerCard(frame: Uint8Array): SetupAction[] {
    const { local, initiator } = this.ready();
    const env = readSetupEnvelope(frame, initiator.keyObject, initiator.address, this.lastSequence);
    const { card } = readPeerCard(env, initiator.publicKey);
    this.state = 'done';
    const pendingFrames = this.queue;
    this.queue = [];
    return [
      {
        kind: 'established',
        peer: {
          publicKey: initiator.publicKey,
          publicKeyText: initiator.publicKeyText,
          keyObject: initiator.keyObject,
          address: initiator.address,
          agentName: initiator.agentName,
          card,
          sessionId: this.sessionId,
        },
        local,
        negotiated: this.negotiated as NegotiatedFeatures,
        nextSendSequence: 2n,
        lastReceivedSequence: env.sequence,
        pendingFrames,
      },
    ];
  }

  private ready(): { local: EstablishedLocal; initiator: VerifiedInitiator } {
    if (this.local === undefined || this.initiator === undefined) throw new RangeError('ReceiverSetup: handshake not done');
    return { local: this.local, initiator: this.initiator };
  }
}

