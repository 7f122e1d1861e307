// The toq handshake objects (wire spec §4): bare JSON, not envelopes. Builders print the exact
// bytes the reference's serde structs print (field order, `"rotation_proof":null`, optional
// `target_agent`); parsers follow serde's rules and check each side's self-challenge signature.
// Pure: randomness (the challenge, the session id) is passed in; no I/O.

import type { KeyObject } from 'node:crypto';
import { canonicalAddress, parseAddress } from './address.js';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { canonicalJson } from './canonical-json.js';
import { PROTOCOL_VERSION } from './constants.js';
import {
  decodePublicKeyText,
  encodePublicKeyText,
  publicKeyObjectFromRaw,
  signToText,
  verifyText,
  type Identity,
} from './ed25519.js';
import { ProtocolError } from './errors.js';
import { parseJson } from './json-parse.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';

/** Bytes of each side's random self-challenge (§4.1). */
export const CHALLENGE_BYTES = 32;
/** `session_id` = this + a lowercase hyphenated v4 UUID (§4.2). */
export const SESSION_ID_PREFIX = 'sess-';

/** The initiator's first frame (§4.1), in the reference's field order. */
export interface InitiatorCredentials {
  public_key: string;
  /** Standard base64 of the challenge bytes. */
  challenge: string;
  challenge_signature: string;
  address: string;
  protocol_version: string;
  rotation_proof: string | null;
  target_agent?: string;
}

/** The receiver's answer (§4.2), in the reference's field order. */
export interface ReceiverCredentials {
  public_key: string;
  challenge: string;
  challenge_signature: string;
  address: string;
  session_id: string;
  rotation_proof: string | null;
}

/** What a verified credentials object tells us about the other side. */
export interface HandshakePeer {
  /** Raw 32-byte Ed25519 key, checked to be a curve point. */
  readonly publicKey: Uint8Array;
  /** The key in the reference's text form (re-encoded, so canonical). */
  readonly publicKeyText: string;
  readonly keyObject: KeyObject;
  /** The claimed address, canonical form (§2.2). Not covered by any signature (§4.3). */
  readonly address: string;
  /** The agent name of `address`. */
  readonly agentName: string;
  readonly protocolVersion: string;
  readonly rotationProof: string | undefined;
}

export interface VerifiedInitiator extends HandshakePeer {
  /** Which of our agents the initiator wants (§4.1, DESIGN §3); undefined when absent or null. */
  readonly targetAgent: string | undefined;
}

export interface VerifiedReceiver extends HandshakePeer {
  readonly sessionId: string;
}

// ---------------------------------------------------------------------------------------------
// Builders

function checkChallenge(challenge: Uint8Array): void {
  if (!(challenge instanceof Uint8Array) || challenge.length !== CHALLENGE_BYTES) {
    throw new RangeError(`challenge must be ${CHALLENGE_BYTES} bytes`);
  }
}

function ownCanonicalAddress(address: string): string {
  try {
    return canonicalAddress(address);
  } catch (err) {
    throw new RangeError(`own address: ${(err as Error).message}`, { cause: err });
  }
}

/** §4.1. The initiator signs its own challenge bytes. `targetAgent` is omitted when undefined. */
export function buildInitiatorCredentials(
  identity: Identity,
  address: string,
  challenge: Uint8Array,
  targetAgent?: string,
): InitiatorCredentials {
  checkChallenge(challenge);
  const creds: InitiatorCredentials = {
    public_key: identity.publicKeyText,
    challenge: encodeBase64(challenge),
    challenge_signature: signToText(identity, challenge),
    address: ownCanonicalAddress(address),
    protocol_version: PROTOCOL_VERSION,
    rotation_proof: null,
  };
  if (targetAgent !== undefined) creds.target_agent = targetAgent;
  return creds;
}

/** §4.2. `sessionUuid` is a fresh lowercase v4 UUID; the id sent is `sess-<uuid>`. */
export function buildReceiverCredentials(
  identity: Identity,
  address: string,
  challenge: Uint8Array,
  sessionUuid: string,
): ReceiverCredentials {
  checkChallenge(challenge);
  return {
    public_key: identity.publicKeyText,
    challenge: encodeBase64(challenge),
    challenge_signature: signToText(identity, challenge),
    address: ownCanonicalAddress(address),
    session_id: SESSION_ID_PREFIX + sessionUuid,
    rotation_proof: null,
  };
}

const q = (s: string): string => canonicalJson(s);
const optional = (s: string | null): string => (s === null ? 'null' : q(s));

/** serde_json::to_vec of the reference struct: declared field order, compact (§4.1). */
export function serializeInitiatorCredentials(creds: InitiatorCredentials): Buffer {
  let out =
    '{"public_key":' + q(creds.public_key) +
    ',"challenge":' + q(creds.challenge) +
    ',"challenge_signature":' + q(creds.challenge_signature) +
    ',"address":' + q(creds.address) +
    ',"protocol_version":' + q(creds.protocol_version) +
    ',"rotation_proof":' + optional(creds.rotation_proof);
  if (creds.target_agent !== undefined) out += ',"target_agent":' + q(creds.target_agent);
  return Buffer.from(out + '}', 'utf8');
}

/** serde_json::to_vec of the reference struct: declared field order, compact (§4.2). */
export function serializeReceiverCredentials(creds: ReceiverCredentials): Buffer {
  const out =
    '{"public_key":' + q(creds.public_key) +
    ',"challenge":' + q(creds.challenge) +
    ',"challenge_signature":' + q(creds.challenge_signature) +
    ',"address":' + q(creds.address) +
    ',"session_id":' + q(creds.session_id) +
    ',"rotation_proof":' + optional(creds.rotation_proof) +
    '}';
  return Buffer.from(out, 'utf8');
}

/** The exact text of the only error the protocol sends (§4.3 step 5). */
export function agentNotFoundMessage(targetAgent: string, ownName: string): string {
  return `agent '${targetAgent}' not found on this endpoint (this is '${ownName}')`;
}

/** `{"error":"..."}` as serde_json prints `json!({"error": msg})` (§4.3 step 5). */
export function serializeHandshakeError(message: string): Buffer {
  return Buffer.from('{"error":' + q(message) + '}', 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Parsers

const INITIATOR_KEYS: ReadonlySet<string> = new Set([
  'public_key',
  'challenge',
  'challenge_signature',
  'address',
  'protocol_version',
  'rotation_proof',
  'target_agent',
]);
const RECEIVER_KEYS: ReadonlySet<string> = new Set([
  'public_key',
  'challenge',
  'challenge_signature',
  'address',
  'session_id',
  'rotation_proof',
]);

function bad(message: string): ProtocolError {
  return new ProtocolError('invalid_envelope', message);
}

function parseObject(frame: Uint8Array | string, keys: ReadonlySet<string>, what: string): JsonObject {
  // serde derive into a struct: repeats of a declared field are refused, unknown keys skipped.
  const root = parseJson(frame, { rejectDuplicateTopLevelKeys: keys });
  if (!isJsonObject(root)) throw bad(`${what} must be a JSON object`);
  return root;
}

function requiredString(obj: JsonObject, key: string, what: string): string {
  const v = obj[key];
  if (v === undefined) throw bad(`${what}: missing field ${key}`);
  if (typeof v !== 'string') throw bad(`${what}: ${key} must be a string`);
  return v;
}

function optionalString(obj: JsonObject, key: string, what: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${what}: ${key} must be a string or null`);
  return v;
}

function addressOf(obj: JsonObject, what: string): { address: string; agentName: string } {
  const text = requiredString(obj, 'address', what);
  try {
    return { address: canonicalAddress(text), agentName: parseAddress(text).name };
  } catch (err) {
    if (err instanceof ProtocolError) throw bad(`${what}: address: ${err.message}`);
    throw err;
  }
}

/**
 * §4.3 step 3: the key must decode (prefix, strict base64, 32 bytes, curve point), the challenge
 * is strict base64 of any length, and the signature must verify over the raw challenge bytes.
 */
function verifySelfChallenge(obj: JsonObject, what: string): { publicKey: Uint8Array; keyObject: KeyObject } {
  const keyText = requiredString(obj, 'public_key', what);
  const challengeText = requiredString(obj, 'challenge', what);
  const signatureText = requiredString(obj, 'challenge_signature', what);
  const publicKey = decodePublicKeyText(keyText);
  const challenge = decodeBase64Strict(challengeText, `${what} challenge`, 'invalid_signature');
  const keyObject = publicKeyObjectFromRaw(publicKey);
  if (!verifyText(keyObject, challenge, signatureText)) {
    throw new ProtocolError('invalid_signature', `${what}: challenge_signature does not verify`);
  }
  return { publicKey, keyObject };
}

/**
 * Receiver side, §4.3 steps 2-3: parse the initiator's object and check its self-challenge.
 * Bad JSON or fields → ProtocolError('invalid_envelope'); bad key or signature →
 * ProtocolError('invalid_signature'). The reference closes silently on either.
 */
export function parseInitiatorCredentials(frame: Uint8Array | string): VerifiedInitiator {
  const what = 'initiator credentials';
  const obj = parseObject(frame, INITIATOR_KEYS, what);
  // serde reports the first problem in field order; checking the shape first keeps errors stable.
  requiredString(obj, 'public_key', what);
  requiredString(obj, 'challenge', what);
  requiredString(obj, 'challenge_signature', what);
  const { address, agentName } = addressOf(obj, what);
  const protocolVersion = requiredString(obj, 'protocol_version', what);
  const rotationProof = optionalString(obj, 'rotation_proof', what);
  const targetAgent = optionalString(obj, 'target_agent', what);
  const { publicKey, keyObject } = verifySelfChallenge(obj, what);
  return {
    publicKey,
    publicKeyText: encodePublicKeyText(publicKey),
    keyObject,
    address,
    agentName,
    protocolVersion,
    rotationProof,
    targetAgent,
  };
}

/** What the initiator reads back: the receiver's credentials, or its error object (§4.3). */
export type ReceiverAnswer =
  | { readonly kind: 'credentials'; readonly receiver: VerifiedReceiver }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Initiator side, §4.3 last paragraph: a frame that is JSON with a string member `error` is a
 * rejection; otherwise it must be valid receiver credentials with a verifying self-challenge.
 */
export function parseReceiverAnswer(frame: Uint8Array | string): ReceiverAnswer {
  const what = 'receiver credentials';
  // The reference first reads the frame as a loose Value (duplicates: last wins) for `error`.
  let loose: JsonValue | undefined;
  try {
    loose = parseJson(frame);
  } catch {
    // Not JSON at all: the struct parse below reports it.
    loose = undefined;
  }
  if (loose !== undefined && isJsonObject(loose) && typeof loose.error === 'string') {
    return { kind: 'error', message: loose.error };
  }
  const obj = parseObject(frame, RECEIVER_KEYS, what);
  requiredString(obj, 'public_key', what);
  requiredString(obj, 'challenge', what);
  requiredString(obj, 'challenge_signature', what);
  const { address, agentName } = addressOf(obj, what);
  const sessionId = requiredString(obj, 'session_id', what);
  const rotationProof = optionalString(obj, 'rotation_proof', what);
  const { publicKey, keyObject } = verifySelfChallenge(obj, what);
  return {
    kind: 'credentials',
    receiver: {
      publicKey,
      publicKeyText: encodePublicKeyText(publicKey),
      keyObject,
      address,
      agentName,
      // The receiver's object carries no protocol_version (§4.2).
      protocolVersion: PROTOCOL_VERSION,
      rotationProof,
      sessionId,
    },
  };
}
