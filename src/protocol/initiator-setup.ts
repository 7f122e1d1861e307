// The initiator's connection setup as a pure state machine (wire spec §3.4, §4.1, §4.3, §6):
// magic + credentials, verify the receiver, negotiate.request (seq 0), read the answer, send our
// card (seq 1), read theirs. It never touches a socket or a timer: the transport feeds it frames
// and executes the actions it returns, in order.

import { canonicalAddress, parseAddress } from './address.js';
import { cardBody, readPeerCard } from './card.js';
import {
  failure,
  failureFromError,
  randomBytesOf,
  readSetupEnvelope,
  setupEnvelopeFrame,
  type EstablishedLocal,
  type LocalAgent,
  type SetupAction,
  type SetupEnvironment,
  type SetupPhase,
} from './connection-setup.js';
import { MAGIC, MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES } from './constants.js';
import { encodeFrame } from './frame.js';
import { buildInitiatorCredentials, CHALLENGE_BYTES, parseReceiverAnswer, serializeInitiatorCredentials, type VerifiedReceiver } from './handshake.js';
import { DEFAULT_FEATURES, negotiateRequestBody, readNegotiationAnswer, type NegotiatedFeatures } from './negotiation.js';

export interface InitiatorSetupOptions extends LocalAgent, SetupEnvironment {
  /** The agent name we want at the other end (§4.1); omitted from the handshake when undefined. */
  readonly targetAgent?: string;
  /** Versions offered in negotiate.request (conformance probes only). @default ["0.1"] */
  readonly supportedVersions?: readonly string[];
}

/**
 * Usage: `start()` once, then `receive(frame)` for every frame, `peerClosed()` on end of stream.
 * Every call returns the actions to run. After a terminal action (`established`,
 * `pending-approval`, `rejected`) the machine is `done`; feeding it more is a RangeError.
 */
export class InitiatorSetup {
  private state: SetupPhase = 'idle';
  private readonly local: EstablishedLocal;
  private receiver: VerifiedReceiver | undefined;
  private negotiated: NegotiatedFeatures | undefined;
  private lastSequence: bigint | undefined;

  constructor(private readonly options: InitiatorSetupOptions) {
    const address = canonicalAddress(options.address);
    this.local = {
      identity: options.identity,
      address,
      agentName: parseAddress(address).name,
      card: options.card,
    };
  }

  get phase(): SetupPhase {
    return this.state;
  }

  /** §3.4: the 4 magic bytes and the credentials frame, as one buffer. */
  start(): SetupAction[] {
    if (this.state !== 'idle') throw new RangeError('InitiatorSetup.start() called twice');
    this.state = 'handshake';
    const challenge = randomBytesOf(this.options, CHALLENGE_BYTES);
    const creds = buildInitiatorCredentials(this.options.identity, this.local.address, challenge, this.options.targetAgent);
    const frame = encodeFrame(serializeInitiatorCredentials(creds), MAX_HANDSHAKE_FRAME_BYTES);
    return [
      { kind: 'set-max-frame', bytes: MAX_HANDSHAKE_FRAME_BYTES },
      { kind: 'write', bytes: Buffer.concat([MAGIC, frame]) },
    ];
  }

  receive(frame: Uint8Array): SetupAction[] {
    try {
      switch (this.state) {
        case 'handshake':
          return this.onReceiverAnswer(frame);
        case 'negotiation':
          return this.onNegotiationAnswer(frame);
        case 'card':
          return this.onPeerCard(frame);
        default:
          throw new RangeError(`InitiatorSetup.receive() in phase ${this.state}`);
      }
    } catch (err) {
      if (err instanceof RangeError || err instanceof TypeError) throw err;
      this.state = 'done';
      return failureFromError(err);
    }
  }

  /** The receiver ended the stream. After negotiate.request that is how a policy refusal looks (§4.4, §20 item 18). */
  peerClosed(): SetupAction[] {
    const phase = this.state;
    if (phase === 'done' || phase === 'idle') return [];
    this.state = 'done';
    if (phase === 'negotiation') {
      return failure('blocked', 'the receiver closed the connection without answering (blocked, not allowed, or pending queue full)', true);
    }
    return failure('protocol_violation', `the receiver closed the connection during ${phase}`, true);
  }

  private onReceiverAnswer(frame: Uint8Array): SetupAction[] {
    const answer = parseReceiverAnswer(frame);
    if (answer.kind === 'error') {
      this.state = 'done';
      // The only error object the reference sends: wrong target agent (§4.3 step 5).
      return failure('agent_unavailable', answer.message, true);
    }
    // The reference does not pin or compare the receiver's key or address (§4.3); neither do we
    // here: the session layer may check the key against what it expects.
    this.receiver = answer.receiver;
    this.state = 'negotiation';
    const body = negotiateRequestBody(this.options.features ?? DEFAULT_FEATURES, this.options.supportedVersions);
    return [
      { kind: 'set-max-frame', bytes: MAX_FRAME_BYTES },
      { kind: 'write', bytes: setupEnvelopeFrame(this.local, answer.receiver.address, 'negotiate.request', 0n, body, this.options) },
    ];
  }

  private onNegotiationAnswer(frame: Uint8Array): SetupAction[] {
    const receiver = this.receiver as VerifiedReceiver;
    const env = readSetupEnvelope(frame, receiver.keyObject, receiver.address, this.lastSequence);
    this.lastSequence = env.sequence;
    const answer = readNegotiationAnswer(env, this.options.features ?? DEFAULT_FEATURES);
    switch (answer.kind) {
      case 'rejected':
        this.state = 'done';
        return failure('version_not_supported', `negotiation rejected: ${answer.reason}`, true);
      case 'pending':
        this.state = 'done';
        return [
          { kind: 'pending-approval', message: answer.message },
          { kind: 'close', reason: 'pending approval', graceful: true },
        ];
      case 'accepted':
        this.negotiated = answer.negotiated;
        this.state = 'card';
        return [
          {
            kind: 'write',
            bytes: setupEnvelopeFrame(this.local, receiver.address, 'card.exchange', 1n, cardBody(this.local.card), this.options),
          },
        ];
    }
  }

  private onPeerCard(frame: Uint8Array): SetupAction[] {
    const receiver = this.receiver as VerifiedReceiver;
    const env = readSetupEnvelope(frame, receiver.keyObject, receiver.address, this.lastSequence);
    const { card } = readPeerCard(env, receiver.publicKey);
    this.state = 'done';
    return [
      {
        kind: 'established',
        peer: {
          publicKey: receiver.publicKey,
          publicKeyText: receiver.publicKeyText,
          keyObject: receiver.keyObject,
          address: receiver.address,
          agentName: receiver.agentName,
          card,
          sessionId: receiver.sessionId,
        },
        local: this.local,
        negotiated: this.negotiated as NegotiatedFeatures,
        nextSendSequence: 2n,
        lastReceivedSequence: env.sequence,
        pendingFrames: [],
      },
    ];
  }
}
