// `toq conformance --serve`: what a connecting toq implementation sent, checked frame by frame
// against what a reference initiator sends (wire spec §3.4, §4.1, §6.1, §6.2, §9, §20). Pure:
// it gets the recorded transcript of one connection and returns one result per check; the
// server (conformance-server.ts) records and answers.

import { canonicalAddress, parseAddress, tryParseAddress } from '../protocol/address.js';
import { validatePeerCard } from '../protocol/card.js';
import { canonicalJson } from '../protocol/canonical-json.js';
import { decodeBase64Strict } from '../protocol/base64.js';
import { MAGIC } from '../protocol/constants.js';
import { parseEnvelope, verifyEnvelope, type Envelope } from '../protocol/envelope.js';
import { parseInitiatorCredentials, type VerifiedInitiator } from '../protocol/handshake.js';
import { parseJson } from '../protocol/json-parse.js';
import { JsonNumber, isJsonObject, type JsonObject } from '../protocol/json-value.js';
import type { CaseResult, CaseStatus } from './conformance-report.js';

/** Everything the server saw on one inbound connection. */
export interface InboundTranscript {
  readonly startedAt: number;
  readonly tlsVersion: string | undefined;
  /** The first application bytes after TLS, hex (4 bytes when the peer sent that many). */
  readonly magicHex: string;
  /** Every frame after the magic, in order (credentials, negotiate.request, card, session...). */
  readonly frames: readonly Buffer[];
  readonly times: readonly number[];
  /** Set when the bytes stopped being frames. */
  readonly framingError?: string;
  /** Our receiver's setup failure, when setup did not complete. */
  readonly setupError?: string;
  /** How the connection ended: the peer's session.disconnect, a close, our idle limit, an error. */
  readonly end: 'disconnect' | 'closed' | 'idle' | 'error';
  readonly endDetail: string;
}

/** The agent the server plays. */
export interface ServeAgent {
  readonly name: string;
  readonly address: string;
}

/** The negotiate.request body the reference always sends (§6.1), canonical. */
export const REFERENCE_NEGOTIATE_BODY = '{"features":{"compression":[],"e2e_encryption":false,"streaming":true},"supported_versions":["0.1"]}';
const CREDENTIAL_ORDER = ['public_key', 'challenge', 'challenge_signature', 'address', 'protocol_version', 'rotation_proof'];

/** Check ids in report order, with whether they are required (what the reference does) or advisory. */
export const SERVE_CHECKS: ReadonlyArray<{ readonly id: string; readonly required: boolean; readonly expected: string }> = [
  { id: 'serve-tls-version', required: false, expected: 'TLS 1.3 (what two reference peers settle on, §3.2)' },
  { id: 'serve-magic', required: true, expected: 'the 4 magic bytes 544f5101 first after TLS (§3.4)' },
  { id: 'serve-credentials', required: true, expected: 'initiator credentials the reference parses: strings public_key, challenge, challenge_signature, address, protocol_version; a strict ed25519 key; a verifying self-challenge signature; a valid address (§4.1, §4.3)' },
  { id: 'serve-credentials-layout', required: false, expected: 'the reference layout: members in the order public_key, challenge, challenge_signature, address, protocol_version, rotation_proof (null)[, target_agent]; 32-byte challenge; protocol_version "0.1"; address in canonical form (§4.1, §2.2)' },
  { id: 'serve-target-agent', required: false, expected: 'target_agent present and naming this agent (the reference API and CLI always send it, §4.1)' },
  { id: 'serve-negotiate-request', required: true, expected: 'first envelope: negotiate.request, sequence 0, signed with the handshake key, body.supported_versions containing "0.1" (§6.1)' },
  { id: 'serve-negotiate-request-body', required: false, expected: `the reference's exact body ${REFERENCE_NEGOTIATE_BODY} (§6.1)` },
  { id: 'serve-card', required: true, expected: 'second envelope: card.exchange, sequence 1, signed, body a card with a non-empty name, the handshake key, protocol_version, at most 65536 bytes (§6.2)' },
  { id: 'serve-card-fields', required: false, expected: 'the card members a reference daemon always sends: accept_files (bool), max_message_size (integer), connection_mode (string), protocol_version "0.1" (§6.2)' },
  { id: 'serve-setup-completed', required: true, expected: 'the connection setup completes with our receiver (handshake, negotiation, cards; §3.4)' },
  { id: 'serve-envelopes', required: true, expected: 'every envelope after the cards parses with the reference rules (known type, u64 sequence, ...) and verifies with the handshake key (§5.2, §5.3)' },
  { id: 'serve-sequence-numbers', required: true, expected: 'session envelopes numbered from 2, strictly increasing (0 negotiation, 1 card; §9, §20 item 21)' },
  { id: 'serve-sequence-consecutive', required: false, expected: 'each sequence number one above the last, as the reference counts (§8)' },
  { id: 'serve-from-address', required: false, expected: 'every envelope `from` = the handshake address (the reference sender does so; DESIGN §8 checks it)' },
  { id: 'serve-to-address', required: false, expected: 'every envelope `to` = exactly one address naming this agent (§20 item 22)' },
  { id: 'serve-message-headers', required: false, expected: 'message.send and thread.close carry thread_id and content_type; stream chunks and ends carry thread_id and body.stream_id (§7)' },
  { id: 'serve-session-end', required: false, expected: 'the session ends with session.disconnect (what the reference API send does, §9)' },
];

interface Outcome {
  readonly status: CaseStatus;
  readonly got: string;
  readonly at?: number;
}

const pass = (got: string, at?: number): Outcome => ({ status: 'pass', got, ...(at !== undefined && { at }) });
const fail = (got: string, at?: number): Outcome => ({ status: 'fail', got, ...(at !== undefined && { at }) });
const skip = (got: string): Outcome => ({ status: 'skip', got });

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isInteger(v: unknown): boolean {
  return (v instanceof JsonNumber && /^(?:0|[1-9][0-9]*)$/.test(v.lexeme)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

/** Runs every check of SERVE_CHECKS on one connection's transcript. */
export function checkInboundTranscript(t: InboundTranscript, agent: ServeAgent): CaseResult[] {
  const outcomes = new Map<string, Outcome>();
  const set = (id: string, o: Outcome): void => void outcomes.set(id, o);
  const atOf = (i: number): number | undefined => (t.times[i] === undefined ? undefined : t.times[i]! - t.startedAt);
  const ended = `the peer sent nothing more (${t.endDetail})`;

  set('serve-tls-version', t.tlsVersion === 'TLSv1.3' ? pass(t.tlsVersion) : fail(t.tlsVersion ?? 'unknown'));
  const magicOk = t.magicHex === Buffer.from(MAGIC).toString('hex');
  set('serve-magic', magicOk ? pass(t.magicHex) : fail(t.magicHex === '' ? 'no bytes' : t.magicHex));

  // Handshake (§4.1, §4.3).
  let initiator: VerifiedInitiator | undefined;
  const credsFrame = t.frames[0];
  if (!magicOk) {
    set('serve-credentials', skip('no magic bytes'));
  } else if (credsFrame === undefined) {
    set('serve-credentials', fail(t.framingError ?? ended));
  } else {
    try {
      initiator = parseInitiatorCredentials(credsFrame);
      set('serve-credentials', pass(`${initiator.publicKeyText} as ${initiator.address}`, atOf(0)));
    } catch (err) {
      set('serve-credentials', fail(message(err), atOf(0)));
    }
  }
  if (credsFrame !== undefined && initiator !== undefined) {
    set('serve-credentials-layout', credentialLayout(credsFrame, atOf(0)));
    const target = initiator.targetAgent;
    set('serve-target-agent', target === agent.name ? pass(target, atOf(0)) : fail(target === undefined ? 'no target_agent' : JSON.stringify(target), atOf(0)));
  } else {
    set('serve-credentials-layout', skip('no valid credentials'));
    set('serve-target-agent', skip('no valid credentials'));
  }

  // Negotiation and cards (§6).
  const onlyHandshake = initiator !== undefined && t.frames.length === 1;
  const setupEnvelope = (i: number, type: string, sequence: bigint): { env?: Envelope; outcome: Outcome } => {
    if (initiator === undefined) return { outcome: skip('no verified handshake key') };
    const frame = t.frames[i];
    if (frame === undefined) return { outcome: onlyHandshake ? skip(`${ended}; a handshake-only connection (a ping) cannot be checked further`) : fail(t.framingError ?? ended) };
    let env: Envelope;
    try {
      env = parseEnvelope(frame);
    } catch (err) {
      return { outcome: fail(message(err), atOf(i)) };
    }
    if (!verifyEnvelope(env, initiator.keyObject)) return { env, outcome: fail(`${env.type} signature does not verify with the handshake key`, atOf(i)) };
    if (env.type !== type) return { env, outcome: fail(`${env.type} (sequence ${env.sequence})`, atOf(i)) };
    if (env.sequence !== sequence) return { env, outcome: fail(`${env.type} with sequence ${env.sequence}`, atOf(i)) };
    return { env, outcome: pass(`${env.type} sequence ${env.sequence}`, atOf(i)) };
  };

  const negotiate = setupEnvelope(1, 'negotiate.request', 0n);
  let negotiateOutcome = negotiate.outcome;
  if (negotiate.outcome.status === 'pass' && negotiate.env !== undefined) {
    const versions = isJsonObject(negotiate.env.body) ? negotiate.env.body.supported_versions : undefined;
    if (!Array.isArray(versions) || !versions.includes('0.1')) negotiateOutcome = fail(`supported_versions ${versions === undefined ? 'missing' : canonicalJson(versions)}`, atOf(1));
  }
  set('serve-negotiate-request', negotiateOutcome);
  if (negotiate.env !== undefined && negotiate.outcome.status === 'pass') {
    const body = negotiate.env.body === undefined ? '(no body)' : canonicalJson(negotiate.env.body);
    set('serve-negotiate-request-body', body === REFERENCE_NEGOTIATE_BODY ? pass(body, atOf(1)) : fail(body, atOf(1)));
  } else {
    set('serve-negotiate-request-body', skip('no valid negotiate.request'));
  }

  const card = setupEnvelope(2, 'card.exchange', 1n);
  let cardOutcome = card.outcome;
  if (card.outcome.status === 'pass' && card.env !== undefined && initiator !== undefined) {
    try {
      const validated = validatePeerCard(card.env.body, initiator.publicKey);
      cardOutcome = pass(`card of ${JSON.stringify(validated.card.name)}, ${validated.serializedBytes} bytes`, atOf(2));
    } catch (err) {
      cardOutcome = fail(message(err), atOf(2));
    }
  }
  set('serve-card', cardOutcome);
  set('serve-card-fields', cardOutcome.status === 'pass' && card.env !== undefined ? cardFields(card.env.body as JsonObject, atOf(2)) : skip('no valid card'));

  if (t.setupError === undefined) set('serve-setup-completed', initiator === undefined ? fail('no setup') : pass('established'));
  else set('serve-setup-completed', onlyHandshake ? skip(t.setupError) : fail(t.setupError));

  // Session envelopes (§5, §8, §9).
  const sessionFrames = t.frames.slice(3);
  const envelopes: Envelope[] = [];
  const problems: string[] = [];
  if (initiator !== undefined) {
    sessionFrames.forEach((frame, k) => {
      try {
        const env = parseEnvelope(frame);
        if (!verifyEnvelope(env, initiator.keyObject)) problems.push(`#${k + 3} ${env.type} ${env.id}: signature does not verify`);
        else envelopes.push(env);
      } catch (err) {
        problems.push(`#${k + 3}: ${message(err)}`);
      }
    });
  }
  if (t.framingError !== undefined && initiator !== undefined) problems.push(`framing: ${t.framingError}`);
  const noSession = `no envelope after the cards (${t.endDetail})`;
  if (initiator === undefined || (sessionFrames.length === 0 && problems.length === 0)) {
    const why = initiator === undefined ? 'no verified handshake key' : noSession;
    for (const id of ['serve-envelopes', 'serve-sequence-numbers', 'serve-sequence-consecutive']) set(id, skip(why));
  } else {
    const last = atOf(t.frames.length - 1);
    set('serve-envelopes', problems.length === 0 ? pass(`${envelopes.length} envelope(s): ${envelopes.map((e) => e.type).join(', ')}`, last) : fail(problems.join('; '), last));
    const seqs = envelopes.map((e) => e.sequence);
    const increasing = seqs.every((s, i) => (i === 0 ? s === 2n : s > seqs[i - 1]!));
    set('serve-sequence-numbers', seqs.length === 0 ? skip('no verified session envelope') : increasing ? pass(seqs.join(', '), last) : fail(seqs.join(', '), last));
    const consecutive = seqs.every((s, i) => s === 2n + BigInt(i));
    set('serve-sequence-consecutive', seqs.length === 0 ? skip('no verified session envelope') : consecutive ? pass(seqs.join(', '), last) : fail(seqs.join(', '), last));
  }

  const all = [negotiate.env, card.env, ...envelopes].filter((e): e is Envelope => e !== undefined);
  if (initiator === undefined || all.length === 0) {
    set('serve-from-address', skip('no envelope'));
    set('serve-to-address', skip('no envelope'));
  } else {
    const foreign = all.filter((e) => e.from !== initiator.address).map((e) => `${e.type} from ${e.from}`);
    set('serve-from-address', foreign.length === 0 ? pass(initiator.address) : fail(foreign.join('; ')));
    const badTo = all.filter((e) => e.to.length !== 1 || parseAddress(e.to[0]!).name !== agent.name).map((e) => `${e.type} to ${JSON.stringify(e.to)}`);
    set('serve-to-address', badTo.length === 0 ? pass(all[0]!.to[0]!) : fail(badTo.join('; ')));
  }

  const messages = envelopes.filter((e) => ['message.send', 'thread.close', 'message.stream.chunk', 'message.stream.end'].includes(e.type));
  if (messages.length === 0) {
    set('serve-message-headers', skip('no message, thread.close or stream envelope'));
  } else {
    const missing: string[] = [];
    for (const e of messages) {
      if (e.thread_id === undefined) missing.push(`${e.type} ${e.id} has no thread_id`);
      if ((e.type === 'message.send' || e.type === 'thread.close') && e.content_type === undefined) missing.push(`${e.type} ${e.id} has no content_type`);
      if (e.type.startsWith('message.stream.') && !(isJsonObject(e.body) && typeof e.body.stream_id === 'string')) missing.push(`${e.type} ${e.id} has no body.stream_id`);
    }
    set('serve-message-headers', missing.length === 0 ? pass(`${messages.length} message envelope(s)`) : fail(missing.join('; ')));
  }
  if (t.setupError !== undefined) set('serve-session-end', skip('no session'));
  else set('serve-session-end', t.end === 'disconnect' ? pass('session.disconnect') : fail(`${t.end}: ${t.endDetail}`));

  return SERVE_CHECKS.map((c) => {
    const o = outcomes.get(c.id) ?? skip('not checked');
    return { id: c.id, required: c.required, status: o.status, expected: c.expected, got: o.got, ms: o.at ?? 0 };
  });
}

function credentialLayout(frame: Buffer, at: number | undefined): Outcome {
  const obj = parseJson(frame);
  if (!isJsonObject(obj)) return fail('not an object', at);
  const keys = Object.keys(obj);
  const expectedKeys = [...CREDENTIAL_ORDER, ...(keys.includes('target_agent') ? ['target_agent'] : [])];
  const problems: string[] = [];
  if (keys.join(',') !== expectedKeys.join(',')) problems.push(`members ${keys.join(', ')}`);
  if (obj.rotation_proof !== null) problems.push(`rotation_proof ${obj.rotation_proof === undefined ? 'missing' : 'not null'}`);
  if (obj.protocol_version !== '0.1') problems.push(`protocol_version ${JSON.stringify(obj.protocol_version)}`);
  try {
    const n = decodeBase64Strict(String(obj.challenge), 'challenge').length;
    if (n !== 32) problems.push(`challenge of ${n} bytes`);
  } catch (err) {
    problems.push(message(err));
  }
  if (typeof obj.address === 'string' && tryParseAddress(obj.address).ok) {
    const canonical = canonicalAddress(obj.address);
    if (obj.address !== canonical) problems.push(`address ${JSON.stringify(obj.address)} is not in canonical form (${canonical})`);
  }
  return problems.length === 0 ? pass('reference layout', at) : fail(problems.join('; '), at);
}

function cardFields(body: JsonObject, at: number | undefined): Outcome {
  const problems: string[] = [];
  if (typeof body.accept_files !== 'boolean') problems.push('accept_files missing or not a boolean');
  if (!isInteger(body.max_message_size)) problems.push('max_message_size missing or not an integer');
  if (typeof body.connection_mode !== 'string') problems.push('connection_mode missing or not a string');
  if (body.protocol_version !== '0.1') problems.push(`protocol_version ${JSON.stringify(body.protocol_version)}`);
  return problems.length === 0 ? pass('accept_files, max_message_size, connection_mode, protocol_version', at) : fail(problems.join('; '), at);
}
