// The toq envelope (wire spec §5): parsing with the reference's serde semantics (§5.2), the
// canonical bytes that get signed (§5.3), signing, verification and the wire JSON in the
// reference's field order (§5.1). Pure: no I/O, no clock (createEnvelope takes `now`).
//
// Hot path: each envelope's body is printed once; the same text is spliced into the signing bytes
// and into the wire bytes (the reference prints its body Value with sorted maps in both places),
// unless a number's lexeme differs from its canonical form (then the wire keeps the lexeme). The fixed top-level keys are written in code point order by hand, never sorted.

import { randomUUID, type KeyObject } from 'node:crypto';
import { canonicalAddress } from './address.js';
import { canonicalAndWireJson, canonicalJson } from './canonical-json.js';
import { PROTOCOL_VERSION } from './constants.js';
import { signToText, verifyText, type Identity } from './ed25519.js';
import { GatewayError, ProtocolError } from './errors.js';
import { parseJson } from './json-parse.js';
import { JsonNumber, isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import { isMessageType, type MessageType } from './message-types.js';
import { formatTimestamp } from './timestamp.js';

export type Priority = 'normal' | 'urgent';

/**
 * A parsed or built envelope, already in the form the reference re-renders (§5.2): lowercase
 * hyphenated `id`, canonical addresses, absent optionals are `undefined` (never `null`).
 * Treat it as immutable once signed: the canonical body text is cached per object.
 */
export interface Envelope {
  version: string;
  id: string;
  type: MessageType;
  from: string;
  to: string[];
  thread_id?: string;
  reply_to?: string;
  /** u64 (§5.1, §20 item 5). */
  sequence: bigint;
  timestamp: string;
  priority?: Priority;
  content_type?: string;
  /** u64 seconds (§5.1). */
  ttl?: bigint;
  compression?: string;
  signature: string;
  e2e_nonce?: string;
  /** Any JSON; `null` here counts as absent, since a receiver cannot tell them apart (§5.2). */
  body?: JsonValue;
}

export type UnsignedEnvelope = Omit<Envelope, 'signature'>;

const U64_MAX = (1n << 64n) - 1n;
const U64_MAX_TEXT = '18446744073709551615';
const U64_LEXEME = /^(?:0|[1-9][0-9]*)$/;

/** serde derive refuses repeats of these keys only; unknown keys are skipped unseen (§5.2). */
const ENVELOPE_KEYS: ReadonlySet<string> = new Set([
  'version',
  'id',
  'type',
  'from',
  'to',
  'thread_id',
  'reply_to',
  'sequence',
  'timestamp',
  'priority',
  'content_type',
  'ttl',
  'compression',
  'signature',
  'e2e_nonce',
  'body',
]);

// ---------------------------------------------------------------------------------------------
// Canonical body text cache

interface BodyText {
  readonly body: JsonValue;
  /** Canonical text (signed). */
  readonly text: string;
  /** Wire text: numbers keep their lexemes (the same string as `text` when no number differs). */
  readonly wire: string;
}

// Kept on the envelope object itself under a non-enumerable symbol: invisible to spreads,
// Object.keys, JSON and test equality. (A WeakMap keyed by short-lived envelopes cost ~4 µs per
// envelope in GC bookkeeping; this costs well under 1 µs.) The body's identity is stored too, so
// replacing `env.body` is noticed; mutating the body in place after signing is not: envelopes are values.
const BODY_TEXT: unique symbol = Symbol('toq.bodyText');

type WithBodyText = { [BODY_TEXT]?: BodyText };

function cacheBodyText(env: object, entry: BodyText): void {
  Object.defineProperty(env, BODY_TEXT, { value: entry, writable: true, configurable: true, enumerable: false });
}

/** The printed body (canonical and wire texts), or undefined when absent (null counts as absent). */
function bodyTextsOf(env: UnsignedEnvelope): BodyText | undefined {
  const body = env.body;
  if (body === undefined || body === null) return undefined;
  const hit = (env as WithBodyText)[BODY_TEXT];
  if (hit !== undefined && hit.body === body) return hit;
  const { canonical, wire } = canonicalAndWireJson(body);
  const entry = { body, text: canonical, wire };
  cacheBodyText(env, entry);
  return entry;
}

/** The canonical text of the body, or undefined when absent. */
function bodyTextOf(env: UnsignedEnvelope): string | undefined {
  return bodyTextsOf(env)?.text;
}

function shareBodyText(from: object, to: object): void {
  const hit = (from as WithBodyText)[BODY_TEXT];
  if (hit !== undefined) cacheBodyText(to, hit);
}

// ---------------------------------------------------------------------------------------------
// Printing

const q = (s: string): string => canonicalJson(s);

function recipients(to: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < to.length; i++) out += (i === 0 ? '' : ',') + q(to[i] as string);
  return out + ']';
}

function canonicalText(env: UnsignedEnvelope): string {
  const body = bodyTextOf(env);
  // Keys in code point order (§5.3): body < compression < content_type < e2e_nonce < from < id <
  // priority < reply_to < sequence < thread_id < timestamp < to < ttl < type < version.
  // `version` is required and last, so every other member ends with a comma.
  let out = '{';
  if (body !== undefined) out += '"body":' + body + ',';
  if (env.compression !== undefined) out += '"compression":' + q(env.compression) + ',';
  if (env.content_type !== undefined) out += '"content_type":' + q(env.content_type) + ',';
  if (env.e2e_nonce !== undefined) out += '"e2e_nonce":' + q(env.e2e_nonce) + ',';
  out += '"from":' + q(env.from) + ',"id":' + q(env.id) + ',';
  if (env.priority !== undefined) out += '"priority":' + q(env.priority) + ',';
  if (env.reply_to !== undefined) out += '"reply_to":' + q(env.reply_to) + ',';
  out += '"sequence":' + u64Text(env.sequence, 'sequence') + ',';
  if (env.thread_id !== undefined) out += '"thread_id":' + q(env.thread_id) + ',';
  out += '"timestamp":' + q(env.timestamp) + ',"to":' + recipients(env.to) + ',';
  if (env.ttl !== undefined) out += '"ttl":' + u64Text(env.ttl, 'ttl') + ',';
  out += '"type":' + q(env.type) + ',"version":' + q(env.version) + '}';
  return out;
}

/** The canonical JSON text that is signed (§5.3), as a string. See envelopeSigningBytes. */
export function envelopeCanonicalText(env: UnsignedEnvelope): string {
  return canonicalText(env);
}

/**
 * The bytes Ed25519 signs (§5.3): sorted keys, no whitespace, absent optionals omitted, no
 * `signature` member. Fields are printed as they are, so they must already be in the
 * re-rendered form (as parseEnvelope, createEnvelope and signEnvelope produce them).
 */
export function envelopeSigningBytes(env: UnsignedEnvelope): Buffer {
  return Buffer.from(canonicalText(env), 'utf8');
}

/**
 * The wire JSON in the reference's field order (§5.1): version, id, type, from, to, thread_id,
 * reply_to, sequence, timestamp, priority, content_type, ttl, compression, signature, e2e_nonce,
 * body. The body is printed with sorted keys, as serde_json prints a Value, so the bytes equal the
 * reference's (§19.4: 500 bytes for E1); numbers keep their lexemes (see wireJson), because
 * serde_json does not always read its own float output back to the same value.
 */
export function serializeEnvelope(env: Envelope): Buffer {
  return Buffer.from(wireText(env), 'utf8');
}

function wireText(env: Envelope): string {
  let out = '{"version":' + q(env.version) + ',"id":' + q(env.id) + ',"type":' + q(env.type);
  out += ',"from":' + q(env.from) + ',"to":' + recipients(env.to);
  if (env.thread_id !== undefined) out += ',"thread_id":' + q(env.thread_id);
  if (env.reply_to !== undefined) out += ',"reply_to":' + q(env.reply_to);
  out += ',"sequence":' + u64Text(env.sequence, 'sequence') + ',"timestamp":' + q(env.timestamp);
  if (env.priority !== undefined) out += ',"priority":' + q(env.priority);
  if (env.content_type !== undefined) out += ',"content_type":' + q(env.content_type);
  if (env.ttl !== undefined) out += ',"ttl":' + u64Text(env.ttl, 'ttl');
  if (env.compression !== undefined) out += ',"compression":' + q(env.compression);
  out += ',"signature":' + q(env.signature);
  if (env.e2e_nonce !== undefined) out += ',"e2e_nonce":' + q(env.e2e_nonce);
  const body = bodyTextsOf(env)?.wire;
  if (body !== undefined) out += ',"body":' + body;
  return out + '}';
}

function u64Text(value: bigint, what: string): string {
  if (typeof value !== 'bigint') throw new TypeError(`${what} must be a bigint`);
  if (value < 0n || value > U64_MAX) throw new RangeError(`${what} ${value} is not a u64`);
  return value.toString();
}

// ---------------------------------------------------------------------------------------------
// Signing and verification

/**
 * Signs with Ed25519 over the canonical bytes (§5.3). First re-renders what a receiver would
 * re-render (id lowercase hyphenated, from/to canonical), so the signature survives it (§20 items
 * 1-2); fields our code could not send at all are a RangeError/TypeError.
 */
export function signEnvelope(env: UnsignedEnvelope, identity: Identity): Envelope {
  const unsigned = normalizeOwnEnvelope(env);
  const signature = signToText(identity, envelopeSigningBytes(unsigned));
  const signed: Envelope = { ...unsigned, signature };
  shareBodyText(unsigned, signed);
  return signed;
}

/** True when `env.signature` is `publicKey`'s signature over the envelope's canonical bytes. */
export function verifyEnvelope(env: Envelope, publicKey: KeyObject): boolean {
  let bytes: Buffer;
  try {
    bytes = envelopeSigningBytes(env);
  } catch (err) {
    // A body our printer refuses (e.g. a number serde_json cannot hold) has no valid signature.
    if (err instanceof GatewayError || err instanceof RangeError) return false;
    throw err;
  }
  return verifyText(publicKey, bytes, env.signature);
}

export interface EnvelopeFields {
  type: MessageType;
  from: string;
  to: string | readonly string[];
  sequence: bigint;
  thread_id?: string;
  reply_to?: string;
  priority?: Priority;
  content_type?: string;
  ttl?: bigint;
  compression?: string;
  e2e_nonce?: string;
  body?: JsonValue;
  /** Defaults to a fresh v4 UUID. */
  id?: string;
  /** Defaults to formatTimestamp(now()). */
  timestamp?: string;
  /** @default "0.1" */
  version?: string;
}

/**
 * Builds and signs an envelope: version "0.1", a fresh lowercase v4 id, the timestamp from
 * `now()` (epoch ms) as the reference formats it, canonical from/to.
 */
export function createEnvelope(
  fields: EnvelopeFields,
  identity: Identity,
  now: () => number,
  randomUuid: () => string = randomUUID,
): Envelope {
  const unsigned: UnsignedEnvelope = {
    version: fields.version ?? PROTOCOL_VERSION,
    id: fields.id ?? randomUuid(),
    type: fields.type,
    from: fields.from,
    to: typeof fields.to === 'string' ? [fields.to] : [...fields.to],
    sequence: fields.sequence,
    timestamp: fields.timestamp ?? formatTimestamp(now()),
  };
  if (fields.thread_id !== undefined) unsigned.thread_id = fields.thread_id;
  if (fields.reply_to !== undefined) unsigned.reply_to = fields.reply_to;
  if (fields.priority !== undefined) unsigned.priority = fields.priority;
  if (fields.content_type !== undefined) unsigned.content_type = fields.content_type;
  if (fields.ttl !== undefined) unsigned.ttl = fields.ttl;
  if (fields.compression !== undefined) unsigned.compression = fields.compression;
  if (fields.e2e_nonce !== undefined) unsigned.e2e_nonce = fields.e2e_nonce;
  if (fields.body !== undefined && fields.body !== null) unsigned.body = fields.body;
  return signEnvelope(unsigned, identity);
}

/** Checks and re-renders an envelope built by our own code. Misuse is a TypeError/RangeError. */
function normalizeOwnEnvelope(env: UnsignedEnvelope): UnsignedEnvelope {
  if (typeof env !== 'object' || env === null) throw new TypeError('envelope must be an object');
  if (typeof env.version !== 'string') throw new TypeError('version must be a string');
  if (!isMessageType(env.type)) throw new RangeError(`unknown message type ${JSON.stringify(env.type)}`);
  const id = normalizeUuid(env.id);
  if (id === undefined) throw new RangeError(`id ${JSON.stringify(env.id)} is not a UUID`);
  if (!Array.isArray(env.to)) throw new TypeError('to must be an array of addresses');
  if (typeof env.timestamp !== 'string') throw new TypeError('timestamp must be a string');
  if (env.priority !== undefined && env.priority !== 'normal' && env.priority !== 'urgent') {
    throw new RangeError(`priority must be "normal" or "urgent", got ${JSON.stringify(env.priority)}`);
  }
  u64Text(env.sequence, 'sequence');
  if (env.ttl !== undefined) u64Text(env.ttl, 'ttl');
  for (const key of ['thread_id', 'reply_to', 'content_type', 'compression', 'e2e_nonce'] as const) {
    const v = env[key];
    if (v !== undefined && typeof v !== 'string') throw new TypeError(`${key} must be a string`);
  }
  const out: UnsignedEnvelope = { ...env, id, from: ownAddress(env.from, 'from'), to: env.to.map((t) => ownAddress(t, 'to')) };
  if (out.body === null) delete out.body;
  shareBodyText(env, out);
  return out;
}

/**
 * The address we sign and send: re-rendered until stable. A few odd forms change again when
 * re-rendered (`toq://h:5:9009/x` displays as `toq://h:5/x`, which a receiver renders as
 * `toq://h/x`), and the receiver renders once, so we send the form that rendering leaves alone.
 */
function ownAddress(text: string, what: string): string {
  try {
    let current = canonicalAddress(text);
    for (let i = 0; i < 3; i++) {
      const next = canonicalAddress(current);
      if (next === current) return current;
      current = next;
    }
    return current;
  } catch (err) {
    if (err instanceof ProtocolError) throw new RangeError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// UUIDs (uuid 1.21 `Uuid::parse_str`)

const HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SIMPLE = /^[0-9a-fA-F]{32}$/;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Any form the uuid crate parses, normalized to lowercase hyphenated (§5.2): hyphenated, 32 hex
 * digits, `urn:uuid:` + hyphenated (prefix lowercase only), `{hyphenated}`; hex digits in any
 * case; the version nibble is not checked. undefined when the uuid crate would refuse it.
 */
export function normalizeUuid(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  if (CANONICAL_UUID.test(text)) return text;
  let s = text;
  if (s.length === 32) {
    if (!SIMPLE.test(s)) return undefined;
    s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    return s.toLowerCase();
  }
  if (s.length === 38 && s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  else if (s.length === 45 && s.startsWith('urn:uuid:')) s = s.slice(9);
  else if (s.length !== 36) return undefined;
  return HYPHENATED.test(s) ? s.toLowerCase() : undefined;
}

// ---------------------------------------------------------------------------------------------
// Parsing

function bad(message: string): ProtocolError {
  return new ProtocolError('invalid_envelope', message);
}

/** A serde unit-variant enum: `"name"`, or serde_json's map form `{"name": null}` (de.rs deserialize_enum). */
function enumText(value: JsonValue, field: string): string {
  if (typeof value === 'string') return value;
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && value[keys[0] as string] === null) return keys[0] as string;
  }
  throw bad(`${field} must be a string`);
}

function requiredString(obj: JsonObject, key: string): string {
  const v = obj[key];
  if (v === undefined) throw bad(`missing field ${key}`);
  if (typeof v !== 'string') throw bad(`${key} must be a string`);
  return v;
}

/** Option<String>: missing or null is absent. */
function optionalString(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${key} must be a string or null`);
  return v;
}

/** serde's u64: a JSON integer lexeme 0..=2^64-1; floats (`2.0`, `1e2`), `-0`, `-1`, strings fail (§5.2). */
function u64Field(v: JsonValue, key: string): bigint {
  if (!(v instanceof JsonNumber)) throw bad(`${key} must be an unsigned 64-bit integer`);
  const lexeme = v.lexeme;
  if (!U64_LEXEME.test(lexeme)) throw bad(`${key} must be an unsigned 64-bit integer, got ${lexeme.slice(0, 40)}`);
  if (lexeme.length > U64_MAX_TEXT.length || (lexeme.length === U64_MAX_TEXT.length && lexeme > U64_MAX_TEXT)) {
    throw bad(`${key} ${lexeme.slice(0, 40)} is larger than 2^64-1`);
  }
  return BigInt(lexeme);
}

function addressField(v: JsonValue, key: string): string {
  if (typeof v !== 'string') throw bad(`${key} must be an address string`);
  try {
    return canonicalAddress(v);
  } catch (err) {
    if (err instanceof ProtocolError) throw bad(`${key}: ${err.message}`);
    throw err;
  }
}

export interface ParseEnvelopeOptions {
  /**
   * Accept a `type` string we do not know (the signature covers it), so a session can ignore it
   * and stay forward compatible; the reference refuses it (§5.2). @default false
   */
  readonly allowUnknownType?: boolean;
}

/**
 * Parses one frame into an envelope with the reference's serde semantics (§5.2, §20): unknown
 * top-level keys dropped, top-level null = absent, duplicate known keys refused, id in any uuid
 * form (normalized), from/to re-rendered canonically, sequence/ttl u64 only, type known,
 * priority exact, signature a string, body any JSON (printed here once: a number serde_json
 * cannot hold fails now, and verifyEnvelope reuses the text). Any failure is
 * ProtocolError('invalid_envelope') naming the field. The signature is not checked here.
 */
export function parseEnvelope(frame: Uint8Array | string, options: ParseEnvelopeOptions = {}): Envelope {
  const root = parseJson(frame, { rejectDuplicateTopLevelKeys: ENVELOPE_KEYS });
  if (!isJsonObject(root)) throw bad('envelope must be a JSON object');
  const version = requiredString(root, 'version');

  const idValue = root.id;
  if (idValue === undefined) throw bad('missing field id');
  if (typeof idValue !== 'string') throw bad('id must be a UUID string');
  const id = normalizeUuid(idValue);
  if (id === undefined) throw bad(`id ${JSON.stringify(idValue.slice(0, 50))} is not a UUID`);

  const typeValue = root.type;
  if (typeValue === undefined) throw bad('missing field type');
  const type = enumText(typeValue, 'type');
  if (!isMessageType(type) && options.allowUnknownType !== true) {
    throw bad(`unknown message type ${JSON.stringify(type.slice(0, 50))}`);
  }

  const fromValue = root.from;
  if (fromValue === undefined) throw bad('missing field from');
  const from = addressField(fromValue, 'from');

  const toValue = root.to;
  if (toValue === undefined) throw bad('missing field to');
  if (!Array.isArray(toValue)) throw bad('to must be an array of addresses');
  const to = toValue.map((t, i) => addressField(t, `to[${i}]`));

  const sequenceValue = root.sequence;
  if (sequenceValue === undefined) throw bad('missing field sequence');
  const sequence = u64Field(sequenceValue, 'sequence');
  const timestamp = requiredString(root, 'timestamp');
  const signature = requiredString(root, 'signature');

  // With allowUnknownType the type may be outside MessageType; callers check isMessageType.
  const env: Envelope = { version, id, type: type as MessageType, from, to, sequence, timestamp, signature };
  const threadId = optionalString(root, 'thread_id');
  if (threadId !== undefined) env.thread_id = threadId;
  const replyTo = optionalString(root, 'reply_to');
  if (replyTo !== undefined) env.reply_to = replyTo;
  const priorityValue = root.priority;
  if (priorityValue !== undefined && priorityValue !== null) {
    const priority = enumText(priorityValue, 'priority');
    if (priority !== 'normal' && priority !== 'urgent') {
      throw bad(`priority must be "normal" or "urgent", got ${JSON.stringify(priority.slice(0, 50))}`);
    }
    env.priority = priority;
  }
  const contentType = optionalString(root, 'content_type');
  if (contentType !== undefined) env.content_type = contentType;
  const ttlValue = root.ttl;
  if (ttlValue !== undefined && ttlValue !== null) env.ttl = u64Field(ttlValue, 'ttl');
  const compression = optionalString(root, 'compression');
  if (compression !== undefined) env.compression = compression;
  const nonce = optionalString(root, 'e2e_nonce');
  if (nonce !== undefined) env.e2e_nonce = nonce;
  const body = root.body;
  if (body !== undefined && body !== null) {
    env.body = body;
    try {
      bodyTextOf(env);
    } catch (err) {
      if (err instanceof ProtocolError) throw bad(`body: ${err.message}`);
      throw err;
    }
  }
  return env;
}
