// The agent card exchanged right after negotiation (wire spec §6.2): the body our daemon sends,
// and the reference's parse + validation of the peer's card (name, key = handshake key, size).
// Pure functions over JSON values; the card.exchange envelope is built by connection setup.

import { MAX_CARD_BYTES, PROTOCOL_VERSION } from './constants.js';
import { canonicalJson } from './canonical-json.js';
import { decodePublicKeyText } from './ed25519.js';
import { ProtocolError } from './errors.js';
import { JsonNumber, isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import type { Envelope } from './envelope.js';

/** The reference's `AgentCard` (§6.2), with its wire member names. */
export interface AgentCard {
  readonly name: string;
  readonly description?: string;
  readonly public_key: string;
  readonly protocol_version: string;
  /** Emitted only when non-empty. */
  readonly capabilities?: readonly string[];
  readonly accept_files: boolean;
  /** u64; emitted only when set (the daemon sets it only when it accepts files). */
  readonly max_file_size?: number;
  readonly max_message_size?: number;
  readonly connection_mode?: string;
}

export interface LocalCardOptions {
  name: string;
  publicKeyText: string;
  /** The daemon always sends its configured mode (§6.2). */
  connectionMode: string;
  /** @default 1048576 */
  maxMessageSize?: number;
  /** @default false */
  acceptFiles?: boolean;
  /** Sent only when acceptFiles is true. */
  maxFileSize?: number;
  description?: string;
  capabilities?: readonly string[];
}

/** The card a default daemon sends (§6.2 example): accept_files, connection_mode, max_message_size, name, protocol_version, public_key. */
export function buildLocalCard(options: LocalCardOptions): AgentCard {
  const card: {
    -readonly [K in keyof AgentCard]: AgentCard[K];
  } = {
    name: options.name,
    public_key: options.publicKeyText,
    protocol_version: PROTOCOL_VERSION,
    accept_files: options.acceptFiles ?? false,
    max_message_size: options.maxMessageSize ?? 1_048_576,
    connection_mode: options.connectionMode,
  };
  if (options.description !== undefined) card.description = options.description;
  if (options.capabilities !== undefined && options.capabilities.length > 0) card.capabilities = [...options.capabilities];
  if (card.accept_files && options.maxFileSize !== undefined) card.max_file_size = options.maxFileSize;
  return card;
}

/** The card as the card.exchange body: `serde_json::to_value(card)`, skipping what the reference skips. */
export function cardBody(card: AgentCard): JsonObject {
  const body: JsonObject = { name: card.name, public_key: card.public_key, protocol_version: card.protocol_version };
  if (card.description !== undefined) body.description = card.description;
  if (card.capabilities !== undefined && card.capabilities.length > 0) body.capabilities = [...card.capabilities];
  body.accept_files = card.accept_files;
  if (card.max_file_size !== undefined) body.max_file_size = checkedSize(card.max_file_size, 'max_file_size');
  if (card.max_message_size !== undefined) body.max_message_size = checkedSize(card.max_message_size, 'max_message_size');
  if (card.connection_mode !== undefined) body.connection_mode = card.connection_mode;
  return body;
}

function checkedSize(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${n}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Peer card

export interface ValidatedCard {
  readonly card: AgentCard;
  /** Length of `serde_json::to_vec(card)` as the reference measures it (§6.2). */
  readonly serializedBytes: number;
}

function bad(message: string): ProtocolError {
  return new ProtocolError('invalid_envelope', message);
}

const U64_LEXEME = /^(?:0|[1-9][0-9]*)$/;
const U64_MAX_TEXT = '18446744073709551615';

/** `Option<u64>` from a Value number: only an integer lexeme serde keeps as u64. */
function optionalU64(obj: JsonObject, key: string): { value: number; text: string } | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  let text: string;
  if (v instanceof JsonNumber) text = v.lexeme;
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && !Object.is(v, -0)) text = String(v);
  else if (typeof v === 'bigint') text = v.toString();
  else throw bad(`card ${key} must be an unsigned integer`);
  if (!U64_LEXEME.test(text) || text.length > U64_MAX_TEXT.length || (text.length === U64_MAX_TEXT.length && text > U64_MAX_TEXT)) {
    throw bad(`card ${key} must be an unsigned 64-bit integer`);
  }
  return { value: Number(text), text };
}

function optionalString(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`card ${key} must be a string`);
  return v;
}

function requiredString(obj: JsonObject, key: string): string {
  const v = obj[key];
  if (v === undefined) throw bad(`card is missing ${key}`);
  if (typeof v !== 'string') throw bad(`card ${key} must be a string`);
  return v;
}

/**
 * The reference's `from_value::<AgentCard>` then `AgentCard::validate` (§6.2): the types of the
 * known members (unknown ones ignored), `name` non-empty (invalid_envelope), `public_key` a valid
 * key equal to the handshake key (card_key_mismatch), re-serialized size ≤ 65536 (card_too_large).
 */
export function validatePeerCard(body: JsonValue | undefined, handshakeKey: Uint8Array): ValidatedCard {
  if (body === undefined || body === null) throw bad('card.exchange has no body');
  if (!isJsonObject(body)) throw bad('card must be a JSON object');
  const name = requiredString(body, 'name');
  const description = optionalString(body, 'description');
  const publicKeyText = requiredString(body, 'public_key');
  const protocolVersion = requiredString(body, 'protocol_version');
  let capabilities: string[] = [];
  const caps = body.capabilities;
  if (caps !== undefined) {
    // serde(default) covers a missing member only; null is a type error for Vec.
    if (!Array.isArray(caps) || !caps.every((c) => typeof c === 'string')) throw bad('card capabilities must be a list of strings');
    capabilities = caps as string[];
  }
  const acceptFiles = body.accept_files;
  if (acceptFiles !== undefined && typeof acceptFiles !== 'boolean') throw bad('card accept_files must be a boolean');
  const maxFile = optionalU64(body, 'max_file_size');
  const maxMessage = optionalU64(body, 'max_message_size');
  const connectionMode = optionalString(body, 'connection_mode');

  if (name.length === 0) throw bad('card name is empty');
  let cardKey: Uint8Array;
  try {
    cardKey = decodePublicKeyText(publicKeyText);
  } catch (err) {
    throw new ProtocolError('card_key_mismatch', 'card public_key is not a valid Ed25519 key', { cause: err });
  }
  if (!Buffer.from(cardKey).equals(Buffer.from(handshakeKey))) {
    throw new ProtocolError('card_key_mismatch', 'card public_key does not match the handshake key');
  }

  const card: { -readonly [K in keyof AgentCard]: AgentCard[K] } = {
    name,
    public_key: publicKeyText,
    protocol_version: protocolVersion,
    accept_files: acceptFiles ?? false,
  };
  if (description !== undefined) card.description = description;
  if (capabilities.length > 0) card.capabilities = capabilities;
  if (maxFile !== undefined) card.max_file_size = maxFile.value;
  if (maxMessage !== undefined) card.max_message_size = maxMessage.value;
  if (connectionMode !== undefined) card.connection_mode = connectionMode;

  // serde_json::to_vec(&card): struct members in any order have the same length; u64s as their
  // decimal text (the lexemes above, which serde would print unchanged).
  let text = '{"name":' + canonicalJson(name);
  if (description !== undefined) text += ',"description":' + canonicalJson(description);
  text += ',"public_key":' + canonicalJson(publicKeyText) + ',"protocol_version":' + canonicalJson(protocolVersion);
  if (capabilities.length > 0) text += ',"capabilities":' + canonicalJson(capabilities);
  text += ',"accept_files":' + String(acceptFiles ?? false);
  if (maxFile !== undefined) text += ',"max_file_size":' + maxFile.text;
  if (maxMessage !== undefined) text += ',"max_message_size":' + maxMessage.text;
  if (connectionMode !== undefined) text += ',"connection_mode":' + canonicalJson(connectionMode);
  text += '}';
  const serializedBytes = Buffer.byteLength(text, 'utf8');
  if (serializedBytes > MAX_CARD_BYTES) {
    throw new ProtocolError('card_too_large', `card is ${serializedBytes} bytes, max ${MAX_CARD_BYTES}`);
  }
  return { card, serializedBytes };
}

/** §6.2: the envelope must be card.exchange (else protocol_violation), then validatePeerCard. */
export function readPeerCard(env: Envelope, handshakeKey: Uint8Array): ValidatedCard {
  if (env.type !== 'card.exchange') throw new ProtocolError('protocol_violation', `expected card.exchange, got ${env.type}`);
  return validatePeerCard(env.body, handshakeKey);
}
