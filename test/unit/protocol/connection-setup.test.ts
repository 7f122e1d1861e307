import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildLocalCard, cardBody, type AgentCard } from '../../../src/protocol/card.js';
import type { LocalAgent, PolicyVerdictForSetup, SetupAction } from '../../../src/protocol/connection-setup.js';
import { MAGIC, MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES } from '../../../src/protocol/constants.js';
import { identityFromSeed, type Identity } from '../../../src/protocol/ed25519.js';
import { createEnvelope, serializeEnvelope } from '../../../src/protocol/envelope.js';
import { encodeFrame, FrameDecoder } from '../../../src/protocol/frame.js';
import { buildInitiatorCredentials, serializeInitiatorCredentials } from '../../../src/protocol/handshake.js';
import { InitiatorSetup, type InitiatorSetupOptions } from '../../../src/protocol/initiator-setup.js';
import type { JsonValue } from '../../../src/protocol/json-value.js';
import type { MessageType } from '../../../src/protocol/message-types.js';
import { ReceiverSetup } from '../../../src/protocol/receiver-setup.js';

interface Party {
  seedHex: string;
  address: string;
  card: AgentCard;
  challengeHex: string;
  uuids: string[];
  targetAgent?: string;
  supportedVersions?: string[];
  agents?: string[];
  policy?: PolicyVerdictForSetup;
}

interface Frame {
  direction: 'i->r' | 'r->i';
  label: string;
  hex: string;
}

interface Outcome {
  kind: 'established' | 'rejected' | 'pending-approval';
  code?: string;
  reason?: string;
  message?: string;
  sessionId?: string;
  peerCard?: AgentCard;
}

interface Transcript {
  id: string;
  nowMs: number;
  initiator: Party;
  receiver: Party;
  reproduces: { initiator: boolean; receiver: boolean };
  frames: Frame[];
  closedBy?: 'receiver';
  outcome: { initiator: Outcome; receiver: Outcome };
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/toq/handshake-transcripts.json', import.meta.url), 'utf8')) as {
  cases: Transcript[];
};

function queue<T>(items: readonly T[], what: string): () => T {
  const rest = [...items];
  return () => {
    const next = rest.shift();
    if (next === undefined) throw new Error(`ran out of ${what}`);
    return next;
  };
}

function initiatorOptions(t: Transcript): InitiatorSetupOptions {
  const p = t.initiator;
  const options: InitiatorSetupOptions = {
    identity: identityFromSeed(Buffer.from(p.seedHex, 'hex')),
    address: p.address,
    card: p.card,
    now: () => t.nowMs,
    randomBytes: queue([Buffer.from(p.challengeHex, 'hex')], 'initiator challenges'),
    randomUuid: queue(p.uuids, 'initiator uuids'),
  };
  return {
    ...options,
    ...(p.targetAgent !== undefined ? { targetAgent: p.targetAgent } : {}),
    ...(p.supportedVersions !== undefined ? { supportedVersions: p.supportedVersions } : {}),
  };
}

function receiverMachine(t: Transcript): ReceiverSetup {
  const p = t.receiver;
  const agent: LocalAgent = { identity: identityFromSeed(Buffer.from(p.seedHex, 'hex')), address: p.address, card: p.card };
  return new ReceiverSetup({
    resolveAgent: (target) => (target === undefined || (p.agents ?? []).includes(target) ? agent : undefined),
    now: () => t.nowMs,
    randomBytes: queue([Buffer.from(p.challengeHex, 'hex')], 'receiver challenges'),
    randomUuid: queue(p.uuids, 'receiver uuids'),
  });
}

/** The bytes a side puts on the wire for its frames of the transcript: raw magic, framed JSON. */
function wireBytes(frames: readonly Frame[]): Buffer {
  return Buffer.concat(frames.map((f) => (f.label === 'magic' ? Buffer.from(f.hex, 'hex') : encodeFrame(Buffer.from(f.hex, 'hex')))));
}

/** `written` is a prefix of `all` and at least `atLeast` bytes long. */
function expectPrefix(written: Buffer, all: Buffer, atLeast: number): void {
  expect(written.length).toBeGreaterThanOrEqual(atLeast);
  expect(written.toString('hex')).toBe(all.subarray(0, written.length).toString('hex'));
}

function terminal(actions: readonly SetupAction[]): SetupAction | undefined {
  return actions.find((a) => a.kind === 'established' || a.kind === 'rejected' || a.kind === 'pending-approval');
}

function expectOutcome(actual: SetupAction | undefined, want: Outcome): void {
  expect(actual?.kind).toBe(want.kind);
  if (actual === undefined) return;
  if (actual.kind === 'rejected') {
    expect(actual.code).toBe(want.code);
    if (want.reason !== undefined) expect(actual.reason).toBe(want.reason);
  }
  if (actual.kind === 'pending-approval') expect(actual.message).toBe(want.message);
  if (actual.kind === 'established') {
    expect(actual.peer.sessionId).toBe(want.sessionId);
    expect(actual.peer.card).toEqual(want.peerCard);
    expect(actual.nextSendSequence).toBe(2n);
    expect(actual.lastReceivedSequence).toBe(1n);
  }
}

class Collector {
  written: Buffer[] = [];
  all: SetupAction[] = [];
  maxFrame = -1;
  add(actions: readonly SetupAction[]): void {
    for (const a of actions) {
      this.all.push(a);
      if (a.kind === 'write') this.written.push(a.bytes);
      if (a.kind === 'set-max-frame') this.maxFrame = a.bytes;
    }
  }
  bytes(): Buffer {
    return Buffer.concat(this.written);
  }
}

describe('handshake transcripts: initiator side', () => {
  for (const t of fixture.cases) {
    it(t.id, () => {
      const machine = new InitiatorSetup(initiatorOptions(t));
      const out = new Collector();
      out.add(machine.start());
      expect(out.maxFrame).toBe(MAX_HANDSHAKE_FRAME_BYTES);
      // Before each receiver frame, the initiator has sent at least the frames listed before it
      // (it may be ahead: the two card frames cross), and never anything else.
      const all = wireBytes(t.frames.filter((f) => f.direction === 'i->r'));
      const sentSoFar: Frame[] = [];
      for (const f of t.frames) {
        if (f.direction === 'i->r') {
          sentSoFar.push(f);
          continue;
        }
        if (t.reproduces.initiator) expectPrefix(out.bytes(), all, wireBytes(sentSoFar).length);
        out.add(machine.receive(Buffer.from(f.hex, 'hex')));
      }
      if (t.closedBy === 'receiver') out.add(machine.peerClosed());
      if (t.reproduces.initiator) expect(out.bytes().toString('hex')).toBe(all.toString('hex'));
      expectOutcome(terminal(out.all), t.outcome.initiator);
      expect(out.all.at(-1)?.kind).toBe(t.outcome.initiator.kind === 'established' ? 'established' : 'close');
      expect(machine.phase).toBe('done');
    });
  }
});

describe('handshake transcripts: receiver side', () => {
  for (const t of fixture.cases) {
    for (const early of [false, true]) {
      // early: the initiator's next frame arrives while the policy is still deciding (queued inside).
      it(`${t.id}${early ? ' (frame arrives before the policy decides)' : ''}`, () => {
        const machine = receiverMachine(t);
        const out = new Collector();
        out.add(machine.start());
        const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES, { expectMagic: true });
        const incoming = decoder.push(wireBytes(t.frames.filter((f) => f.direction === 'i->r')));
        const all = wireBytes(t.frames.filter((f) => f.direction === 'r->i'));
        const sent: Frame[] = [];
        let pendingDecision = false;
        for (const f of t.frames) {
          if (f.direction === 'r->i') {
            sent.push(f);
            continue;
          }
          if (f.label === 'magic') continue;
          // A closed connection reads nothing more (policy reject).
          if (machine.phase === 'done') break;
          if (t.reproduces.receiver) expectPrefix(out.bytes(), all, wireBytes(sent).length);
          const frame = incoming.shift() as Buffer;
          expect(frame.toString('hex')).toBe(f.hex);
          out.add(machine.receive(frame));
          if (pendingDecision) {
            out.add(machine.decided(t.receiver.policy ?? 'accept'));
            pendingDecision = false;
          }
          if (out.all.at(-1)?.kind === 'decide') {
            expect(out.maxFrame).toBe(MAX_FRAME_BYTES);
            if (early && machine.phase === 'deciding') pendingDecision = true;
            else out.add(machine.decided(t.receiver.policy ?? 'accept'));
          }
        }
        if (pendingDecision) out.add(machine.decided(t.receiver.policy ?? 'accept'));
        if (t.reproduces.receiver) expect(out.bytes().toString('hex')).toBe(all.toString('hex'));
        expectOutcome(terminal(out.all), t.outcome.receiver);
        expect(machine.phase).toBe('done');
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// In memory: our initiator against our receiver, bytes piped through real frame decoders.

interface PipeResult {
  initiator: SetupAction[];
  receiver: SetupAction[];
  initiatorMachine: InitiatorSetup;
  receiverMachine: ReceiverSetup;
}

function pipe(t: Transcript, mutate?: { toReceiver?: (frame: Buffer, index: number) => Buffer }): PipeResult {
  const initiator = new InitiatorSetup(initiatorOptions(t));
  const receiver = receiverMachine(t);
  const toReceiver = new FrameDecoder(MAX_FRAME_BYTES, { expectMagic: true });
  const toInitiator = new FrameDecoder(MAX_FRAME_BYTES);
  const iActions: SetupAction[] = [];
  const rActions: SetupAction[] = [];
  let iClosed = false;
  let rClosed = false;
  let receiverFrames = 0;
  const runInitiator = (actions: SetupAction[]): void => {
    for (const a of actions) {
      iActions.push(a);
      if (a.kind === 'set-max-frame') toInitiator.setMaxFrameBytes(a.bytes);
      if (a.kind === 'write' && !rClosed) {
        for (const frame of toReceiver.push(a.bytes)) {
          if (rClosed) break;
          runReceiver(receiver.receive(mutate?.toReceiver?.(frame, receiverFrames++) ?? frame));
        }
      }
      if (a.kind === 'close') {
        iClosed = true;
        if (!rClosed) runReceiver(receiver.peerClosed());
      }
    }
  };
  const runReceiver = (actions: SetupAction[]): void => {
    for (const a of actions) {
      rActions.push(a);
      if (a.kind === 'set-max-frame') toReceiver.setMaxFrameBytes(a.bytes);
      if (a.kind === 'write' && !iClosed) {
        for (const frame of toInitiator.push(a.bytes)) {
          if (iClosed) break;
          runInitiator(initiator.receive(frame));
        }
      }
      if (a.kind === 'decide') runReceiver(receiver.decided(t.receiver.policy ?? 'accept'));
      if (a.kind === 'close') {
        rClosed = true;
        if (!iClosed) runInitiator(initiator.peerClosed());
      }
    }
  };
  runReceiver(receiver.start());
  runInitiator(initiator.start());
  return { initiator: iActions, receiver: rActions, initiatorMachine: initiator, receiverMachine: receiver };
}

describe('InitiatorSetup against ReceiverSetup in memory', () => {
  for (const t of fixture.cases) {
    it(t.id, () => {
      const result = pipe(t);
      expectOutcome(terminal(result.initiator), t.outcome.initiator);
      expectOutcome(terminal(result.receiver), t.outcome.receiver);
      expect(result.initiatorMachine.phase).toBe('done');
      expect(result.receiverMachine.phase).toBe('done');
    });
  }

  it('both sides agree on keys, addresses, the session id and the negotiated features', () => {
    const t = fixture.cases.find((c) => c.id === 'success') as Transcript;
    const { initiator, receiver } = pipe(t);
    const i = terminal(initiator);
    const r = terminal(receiver);
    if (i?.kind !== 'established' || r?.kind !== 'established') throw new Error('not established');
    expect(i.peer.publicKeyText).toBe(r.local.identity.publicKeyText);
    expect(r.peer.publicKeyText).toBe(i.local.identity.publicKeyText);
    expect(i.peer.address).toBe('toq://localhost:9011/bob');
    expect(r.peer.address).toBe('toq://localhost:9010/alice');
    expect(r.peer.agentName).toBe('alice');
    expect(i.peer.sessionId).toBe(r.peer.sessionId);
    expect(i.negotiated).toEqual({ version: '0.1', streaming: true, compression: undefined, e2e_encryption: false });
    expect(r.negotiated).toEqual(i.negotiated);
    expect(r.pendingFrames).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// State misuse and bad frames: each has its own code.

const A = identityFromSeed(new Uint8Array(32).fill(1));
const B = identityFromSeed(new Uint8Array(32).fill(2));
const C = identityFromSeed(new Uint8Array(32).fill(3));
const ALICE = 'toq://localhost:9010/alice';
const BOB = 'toq://localhost:9011/bob';
const now = (): number => 1_772_931_723_123;

function cardOf(identity: Identity, name: string): AgentCard {
  return buildLocalCard({ name, publicKeyText: identity.publicKeyText, connectionMode: 'approval' });
}

function envFrame(identity: Identity, type: MessageType, sequence: bigint, body: JsonValue | undefined, from = ALICE, to = BOB): Buffer {
  return serializeEnvelope(createEnvelope({ type, from, to, sequence, body }, identity, now));
}

function credsFrame(identity: Identity = A, address = ALICE, target?: string): Buffer {
  return serializeInitiatorCredentials(buildInitiatorCredentials(identity, address, new Uint8Array(32).fill(9), target));
}

const NEGOTIATE = { supported_versions: ['0.1'], features: { streaming: true, compression: [], e2e_encryption: false } };

function newReceiver(): ReceiverSetup {
  const agent: LocalAgent = { identity: B, address: BOB, card: cardOf(B, 'bob') };
  const machine = new ReceiverSetup({ resolveAgent: (t) => (t === undefined || t === 'bob' ? agent : undefined), now });
  machine.start();
  return machine;
}

/** A receiver that has answered the handshake and been told `verdict`. */
function receiverAfterHandshake(verdict: PolicyVerdictForSetup = 'accept'): ReceiverSetup {
  const machine = newReceiver();
  const actions = machine.receive(credsFrame(A, ALICE, 'bob'));
  expect(actions.map((a) => a.kind)).toEqual(['write', 'set-max-frame', 'decide']);
  machine.decided(verdict);
  return machine;
}

function codeOf(actions: readonly SetupAction[]): string | undefined {
  const t = terminal(actions);
  return t?.kind === 'rejected' ? t.code : undefined;
}

function newInitiator(): InitiatorSetup {
  const machine = new InitiatorSetup({ identity: A, address: ALICE, card: cardOf(A, 'alice'), targetAgent: 'bob', now });
  machine.start();
  return machine;
}

function receiverCredsFor(initiator: InitiatorSetup): Buffer {
  // A real receiver's answer to this initiator's first frame.
  const r = newReceiver();
  void initiator;
  const actions = r.receive(credsFrame(A, ALICE, 'bob'));
  const write = actions.find((a) => a.kind === 'write');
  if (write?.kind !== 'write') throw new Error('no write');
  return write.bytes.subarray(4);
}

describe('ReceiverSetup misuse and bad frames', () => {
  it('an envelope before the handshake is protocol_violation', () => {
    expect(codeOf(newReceiver().receive(envFrame(A, 'negotiate.request', 0n, NEGOTIATE)))).toBe('protocol_violation');
  });

  it('garbage instead of credentials is invalid_envelope; a bad self-signature is invalid_signature', () => {
    expect(codeOf(newReceiver().receive(Buffer.from('{"nope":1}')))).toBe('invalid_envelope');
    const creds = JSON.parse(credsFrame().toString()) as Record<string, string>;
    creds.challenge_signature = JSON.parse(credsFrame(C).toString()).challenge_signature;
    expect(codeOf(newReceiver().receive(Buffer.from(JSON.stringify(creds))))).toBe('invalid_signature');
  });

  it('a second handshake object where negotiate.request is due is protocol_violation', () => {
    expect(codeOf(receiverAfterHandshake().receive(credsFrame(A, ALICE, 'bob')))).toBe('protocol_violation');
  });

  it('an envelope other than negotiate.request first (e.g. the card) is protocol_violation', () => {
    expect(codeOf(receiverAfterHandshake().receive(envFrame(A, 'card.exchange', 1n, cardBody(cardOf(A, 'alice')))))).toBe('protocol_violation');
    expect(codeOf(receiverAfterHandshake().receive(envFrame(A, 'message.send', 2n, { text: 'hi' })))).toBe('protocol_violation');
  });

  it('an envelope signed by another key is invalid_signature; another from address is protocol_violation', () => {
    expect(codeOf(receiverAfterHandshake().receive(envFrame(C, 'negotiate.request', 0n, NEGOTIATE)))).toBe('invalid_signature');
    expect(codeOf(receiverAfterHandshake().receive(envFrame(A, 'negotiate.request', 0n, NEGOTIATE, 'toq://localhost:9010/mallory')))).toBe(
      'protocol_violation',
    );
  });

  it('negotiate.request without a body is invalid_envelope', () => {
    expect(codeOf(receiverAfterHandshake().receive(envFrame(A, 'negotiate.request', 0n, undefined)))).toBe('invalid_envelope');
  });

  it('the card must come with a higher sequence, the right key and a bounded size', () => {
    const afterNegotiation = (): ReceiverSetup => {
      const m = receiverAfterHandshake();
      const actions = m.receive(envFrame(A, 'negotiate.request', 0n, NEGOTIATE));
      expect(actions.filter((a) => a.kind === 'write')).toHaveLength(2);
      expect(m.phase).toBe('card');
      return m;
    };
    expect(codeOf(afterNegotiation().receive(envFrame(A, 'card.exchange', 0n, cardBody(cardOf(A, 'alice')))))).toBe('sequence_violation');
    expect(codeOf(afterNegotiation().receive(envFrame(A, 'card.exchange', 1n, cardBody(cardOf(B, 'alice')))))).toBe('card_key_mismatch');
    const big = buildLocalCard({ name: 'alice', publicKeyText: A.publicKeyText, connectionMode: 'open', description: 'x'.repeat(65_536) });
    expect(codeOf(afterNegotiation().receive(envFrame(A, 'card.exchange', 1n, cardBody(big))))).toBe('card_too_large');
    expect(codeOf(afterNegotiation().receive(envFrame(A, 'card.exchange', 1n, { ...cardBody(cardOf(A, 'alice')), name: '' })))).toBe(
      'invalid_envelope',
    );
    expect(codeOf(afterNegotiation().receive(envFrame(A, 'message.send', 2n, { text: 'x' })))).toBe('protocol_violation');
  });

  it('pending: any signed envelope gets approval.request seq 0, an unsigned one is refused', () => {
    const m = receiverAfterHandshake('pending');
    expect(m.phase).toBe('approval');
    const actions = m.receive(envFrame(A, 'message.send', 7n, { text: 'x' }));
    expect(actions.map((a) => a.kind)).toEqual(['write', 'pending-approval', 'close']);
    const frame = new FrameDecoder().push((actions[0] as { bytes: Buffer }).bytes)[0] as Buffer;
    const sent = JSON.parse(frame.toString()) as { type: string; sequence: number; body: unknown };
    expect(sent.type).toBe('approval.request');
    expect(sent.sequence).toBe(0);
    expect(sent.body).toEqual({ message: 'Connection pending approval by remote agent' });
    expect(codeOf(receiverAfterHandshake('pending').receive(envFrame(C, 'negotiate.request', 0n, NEGOTIATE)))).toBe('invalid_signature');
  });

  it('frames that arrive while deciding are queued, bounded, and handed on after establishment', () => {
    const m = newReceiver();
    m.receive(credsFrame(A, ALICE, 'bob'));
    expect(m.phase).toBe('deciding');
    expect(m.receive(envFrame(A, 'negotiate.request', 0n, NEGOTIATE))).toEqual([]);
    expect(m.receive(envFrame(A, 'card.exchange', 1n, cardBody(cardOf(A, 'alice'))))).toEqual([]);
    const message = envFrame(A, 'message.send', 2n, { text: 'early' });
    expect(m.receive(message)).toEqual([]);
    const actions = m.decided('accept');
    expect(actions.map((a) => a.kind)).toEqual(['write', 'write', 'established']);
    const established = actions[2];
    if (established?.kind !== 'established') throw new Error('not established');
    expect(established.pendingFrames.map((f) => f.toString())).toEqual([message.toString()]);

    const flood = newReceiver();
    flood.receive(credsFrame(A, ALICE, 'bob'));
    for (let i = 0; i < 4; i++) expect(flood.receive(Buffer.from('{}'))).toEqual([]);
    expect(codeOf(flood.receive(Buffer.from('{}')))).toBe('resource_exhausted');
  });

  it('policy reject closes without writing anything', () => {
    const m = newReceiver();
    m.receive(credsFrame(A, ALICE, 'bob'));
    const actions = m.decided('reject');
    expect(actions.some((a) => a.kind === 'write')).toBe(false);
    expect(codeOf(actions)).toBe('blocked');
  });

  it('our own misuse is a RangeError', () => {
    const m = newReceiver();
    expect(() => m.start()).toThrow(RangeError);
    expect(() => m.decided('accept')).toThrow(RangeError);
    const done = receiverAfterHandshake('reject');
    expect(done.phase).toBe('done');
    expect(() => done.receive(Buffer.from('{}'))).toThrow(RangeError);
    expect(done.peerClosed()).toEqual([]);
    expect(() => new ReceiverSetup({ resolveAgent: () => undefined, now }).receive(Buffer.from('{}'))).toThrow(RangeError);
  });

  it('the wrong-agent message names our default agent', () => {
    const actions = newReceiver().receive(credsFrame(A, ALICE, 'zed'));
    const write = actions[0];
    if (write?.kind !== 'write') throw new Error('no write');
    expect(write.bytes.subarray(4).toString()).toBe(`{"error":"agent 'zed' not found on this endpoint (this is 'bob')"}`);
    expect(actions.map((a) => a.kind)).toEqual(['write', 'rejected', 'close']);
  });
});

describe('InitiatorSetup misuse and bad frames', () => {
  it('starts with magic + credentials in one buffer under the 64 KiB cap', () => {
    const m = new InitiatorSetup({ identity: A, address: 'toq://localhost:9010/alice', card: cardOf(A, 'alice'), now });
    const actions = m.start();
    expect(actions[0]).toEqual({ kind: 'set-max-frame', bytes: MAX_HANDSHAKE_FRAME_BYTES });
    const write = actions[1];
    if (write?.kind !== 'write') throw new Error('no write');
    expect(write.bytes.subarray(0, 4)).toEqual(Buffer.from(MAGIC));
    const creds = JSON.parse(write.bytes.subarray(8).toString()) as Record<string, unknown>;
    expect(Object.keys(creds)).toEqual(['public_key', 'challenge', 'challenge_signature', 'address', 'protocol_version', 'rotation_proof']);
    expect(creds.rotation_proof).toBeNull();
    expect(() => m.start()).toThrow(RangeError);
  });

  it('a second handshake object instead of negotiate.response is protocol_violation', () => {
    const m = newInitiator();
    const creds = receiverCredsFor(m);
    const actions = m.receive(creds);
    expect(actions.map((a) => a.kind)).toEqual(['set-max-frame', 'write']);
    expect(codeOf(m.receive(creds))).toBe('protocol_violation');
  });

  it('an unexpected envelope type instead of the answer is protocol_violation', () => {
    const m = newInitiator();
    m.receive(receiverCredsFor(m));
    expect(codeOf(m.receive(envFrame(B, 'message.send', 0n, { text: 'x' }, BOB, ALICE)))).toBe('protocol_violation');
  });

  it('a response without selected_version is invalid_envelope', () => {
    const m = newInitiator();
    m.receive(receiverCredsFor(m));
    expect(codeOf(m.receive(envFrame(B, 'negotiate.response', 0n, { features: {} }, BOB, ALICE)))).toBe('invalid_envelope');
  });

  it('end of stream: during the handshake protocol_violation, after negotiate.request blocked', () => {
    expect(codeOf(newInitiator().peerClosed())).toBe('protocol_violation');
    const m = newInitiator();
    m.receive(receiverCredsFor(m));
    expect(codeOf(m.peerClosed())).toBe('blocked');
    expect(() => m.receive(Buffer.from('{}'))).toThrow(RangeError);
  });

  it('bad receiver credentials are refused with their code', () => {
    expect(codeOf(newInitiator().receive(Buffer.from('not json')))).toBe('invalid_envelope');
    const m = newInitiator();
    const creds = JSON.parse(receiverCredsFor(m).toString()) as Record<string, string>;
    creds.public_key = C.publicKeyText;
    expect(codeOf(m.receive(Buffer.from(JSON.stringify(creds))))).toBe('invalid_signature');
  });

  it('accepts either order of the two card frames', () => {
    // The receiver's card may already be in flight when ours goes out: feed response and card
    // back to back; the initiator writes its card after the response and then takes theirs.
    const t = fixture.cases.find((c) => c.id === 'success') as Transcript;
    const m = new InitiatorSetup(initiatorOptions(t));
    m.start();
    const rFrames = t.frames.filter((f) => f.direction === 'r->i').map((f) => Buffer.from(f.hex, 'hex'));
    m.receive(rFrames[0] as Buffer);
    const afterResponse = m.receive(rFrames[1] as Buffer);
    expect(afterResponse.map((a) => a.kind)).toEqual(['write']);
    expect(m.phase).toBe('card');
    expect(terminal(m.receive(rFrames[2] as Buffer))?.kind).toBe('established');
  });

  it('a frame cut anywhere and piped through the decoder gives the same outcome', () => {
    const t = fixture.cases.find((c) => c.id === 'success') as Transcript;
    const bytes = wireBytes(t.frames.filter((f) => f.direction === 'r->i'));
    for (const cut of [1, 5, 100, bytes.length - 1]) {
      const m = new InitiatorSetup(initiatorOptions(t));
      m.start();
      const decoder = new FrameDecoder(MAX_FRAME_BYTES);
      const actions: SetupAction[] = [];
      for (const part of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
        for (const frame of decoder.push(part)) actions.push(...m.receive(frame));
      }
      expect(terminal(actions)?.kind).toBe('established');
    }
  });
});

describe('encodeFrame caps', () => {
  it('handshake frames are framed under the 64 KiB cap', () => {
    expect(() => encodeFrame(Buffer.alloc(MAX_HANDSHAKE_FRAME_BYTES + 1), MAX_HANDSHAKE_FRAME_BYTES)).toThrow();
  });
});
