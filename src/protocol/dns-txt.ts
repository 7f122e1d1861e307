// DNS TXT discovery records (wire spec §13): the query name, parsing records as the reference
// does, and the text we publish for our own agents. Pure: the caller performs the DNS query
// (node:dns resolveTxt gives each record as its list of character-strings).

import { DEFAULT_PORT, DNS_PROTOCOL_ID, DNS_SERVICE_PREFIX, KEY_PREFIX } from './constants.js';
import { encodeBase64 } from './base64.js';
import { isValidAgentName, parseRustU16 } from './address.js';

/** One parsed `_toq._tcp` record. */
export interface DnsTxtRecord {
  readonly agent: string;
  /** Standard base64 of the Ed25519 public key, WITHOUT the `ed25519:` prefix; not validated (spec §13). */
  readonly key: string;
  readonly port: number;
}

// Rust's `str::trim` strips Unicode White_Space. JS `trim()` differs on two code points: it also
// strips U+FEFF (not White_Space) and keeps U+0085 (White_Space), so records are trimmed by hand.
const RUST_WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const RUST_TRIM = new RegExp(`^[${RUST_WHITESPACE}]+|[${RUST_WHITESPACE}]+$`, 'g');

/** Rust's `str::trim` (Unicode White_Space on both ends). */
export function rustTrim(text: string): string {
  return text.replace(RUST_TRIM, '');
}

/**
 * Parses one TXT record given as its character-strings (spec §13): they are joined with no
 * separator, split on `;`, each part trimmed; parts without `=` are ignored; the first `=`
 * splits key and value, both trimmed. `v` must be `toq1`; `key` and `agent` are required (an
 * empty value counts as present); `port` defaults to 9009 and ANY unparseable `port` value
 * (even one later overridden) invalidates the record; a repeated key keeps its last value;
 * unknown keys are ignored. Returns undefined for an invalid record (the reference skips them).
 */
export function parseTxtRecord(characterStrings: readonly string[]): DnsTxtRecord | undefined {
  const text = characterStrings.join('');
  let version: string | undefined;
  let key: string | undefined;
  let agent: string | undefined;
  let port = DEFAULT_PORT;
  for (const rawPart of text.split(';')) {
    const part = rustTrim(rawPart);
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const value = rustTrim(part.slice(eq + 1));
    switch (rustTrim(part.slice(0, eq))) {
      case 'v':
        version = value;
        break;
      case 'key':
        key = value;
        break;
      case 'agent':
        agent = value;
        break;
      case 'port': {
        // Same u16 rules as an address port (leading `+` and zeros accepted).
        const parsed = parseRustU16(value);
        if (parsed === undefined) return undefined;
        port = parsed;
        break;
      }
      default:
        break;
    }
  }
  if (version !== DNS_PROTOCOL_ID || key === undefined || agent === undefined) return undefined;
  return { agent, key, port };
}

/** The first valid record whose `agent` equals `agentName` exactly (spec §13), in the order given. */
export function findAgentRecord(
  records: readonly (readonly string[])[],
  agentName: string,
): DnsTxtRecord | undefined {
  for (const strings of records) {
    const record = parseTxtRecord(strings);
    if (record !== undefined && record.agent === agentName) return record;
  }
  return undefined;
}

/**
 * `_toq._tcp.<host>.` (spec §13). The reference appends the final dot blindly; a host that is
 * already fully qualified (`example.com.`) is not given a second one, which no resolver accepts.
 */
export function dnsTxtName(host: string): string {
  if (typeof host !== 'string' || host.length === 0) throw new RangeError('host must be a non-empty string');
  return `${DNS_SERVICE_PREFIX}${host}${host.endsWith('.') ? '' : '.'}`;
}

/**
 * The record text to publish for one of our agents, in the reference's layout
 * (`v=toq1; key=...; port=...; agent=...`, the port left out when it is 9009).
 * `key` is either raw public-key bytes or base64/`ed25519:`-prefixed text.
 * The result is under 255 bytes for any sane name, so it fits one character-string.
 */
export function formatTxtRecord(record: { agent: string; key: string | Uint8Array; port?: number }): string {
  if (!isValidAgentName(record.agent)) throw new RangeError(`invalid agent name ${JSON.stringify(record.agent)}`);
  const key = typeof record.key === 'string' ? stripKeyPrefix(record.key) : encodeBase64(record.key);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) throw new RangeError('key must be standard base64');
  const port = record.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`port ${port} is not a u16`);
  const portPart = port === DEFAULT_PORT ? '' : ` port=${port};`;
  return `v=${DNS_PROTOCOL_ID}; key=${key};${portPart} agent=${record.agent}`;
}

/**
 * dns-verified check (spec §12): the record's `key` text must equal the peer key's standard
 * base64 AS A STRING, like the reference (a non-canonical spelling of the same bytes fails).
 */
export function isDnsKeyMatch(record: DnsTxtRecord, publicKey: Uint8Array): boolean {
  return record.key === encodeBase64(publicKey);
}

function stripKeyPrefix(text: string): string {
  return text.startsWith(KEY_PREFIX) ? text.slice(KEY_PREFIX.length) : text;
}
