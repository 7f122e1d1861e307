// toq addresses (wire spec §2): parsing exactly as the reference does, the canonical display
// form that gets signed (§2.2, §20 item 1), and Rust's strict IP-literal test behind it.
// Pure string work: no DNS, no sockets; callers decide what to do with a host that needs DNS.

import { DEFAULT_PORT } from './constants.js';
import { ProtocolError } from './errors.js';

export const TOQ_SCHEME = 'toq://';

/** A parsed toq address. Equality ignores `isPortExplicit` (spec §2.2, last line). */
export interface ToqAddress {
  readonly host: string;
  readonly port: number;
  /** The agent name: `a-z`, `0-9`, `-`, not starting or ending with `-` (spec §2.1 step 3). */
  readonly name: string;
  /** True when the text carried a `:port` that parsed as a u16 (spec §2.1 step 4). */
  readonly isPortExplicit: boolean;
}

/** Why a text is not a toq address, in the order the reference checks (spec §2.1). */
export type AddressRejectReason =
  | 'missing-scheme'
  | 'missing-name-separator'
  | 'empty-name'
  | 'name-hyphen'
  | 'name-chars'
  | 'empty-host';

export type AddressParseResult =
  | { readonly ok: true; readonly address: ToqAddress }
  | { readonly ok: false; readonly reason: AddressRejectReason; readonly message: string };

/** Entries kept by the canonicalAddress/parseAddress cache (successful parses only). */
export const ADDRESS_CACHE_MAX_ENTRIES = 4096;
/** Longest input quoted back in an error message; peers control this text. */
const QUOTE_MAX_CHARS = 80;

const NAME_CHARS = /^[a-z0-9-]+$/;
const U16_TEXT = /^\+?[0-9]+$/;

/** Spec §2.1 step 3. Uppercase, `_`, `.` and non-ASCII are all refused; there is no length limit. */
export function isValidAgentName(name: string): boolean {
  return nameProblem(name) === undefined;
}

type NameProblem = 'empty-name' | 'name-hyphen' | 'name-chars';

const NAME_MESSAGES: Record<NameProblem, string> = {
  'empty-name': 'has an empty agent name',
  'name-hyphen': 'has an agent name that starts or ends with "-"',
  'name-chars': 'has an agent name with characters other than a-z, 0-9 and "-"',
};

function nameProblem(name: string): NameProblem | undefined {
  if (name.length === 0) return 'empty-name';
  if (name.startsWith('-') || name.endsWith('-')) return 'name-hyphen';
  if (!NAME_CHARS.test(name)) return 'name-chars';
  return undefined;
}

/**
 * Rust's `str::parse::<u16>()`: ASCII digits with an optional leading `+`, any number of leading
 * zeros, value at most 65535; anything else (including `-0`, a lone `+`, spaces) is refused.
 * Returns undefined when Rust would return an error.
 */
export function parseRustU16(text: string): number | undefined {
  if (!U16_TEXT.test(text)) return undefined;
  const digits = text.charCodeAt(0) === 0x2b ? text.slice(1) : text;
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 0x30) start++;
  // Past leading zeros, more than 5 digits is always above 65535 (and would lose precision in Number).
  if (digits.length - start > 5) return undefined;
  const value = Number(digits.slice(start));
  return value <= 0xffff ? value : undefined;
}

/** Parses without throwing. Same rules and order of checks as the reference's `Address::from_str`. */
export function tryParseAddress(text: string): AddressParseResult {
  if (typeof text !== 'string') throw new TypeError('address must be a string');
  // Step 1: the scheme is a literal, case-sensitive prefix.
  if (!text.startsWith(TOQ_SCHEME)) return reject('missing-scheme', text, `must start with "${TOQ_SCHEME}"`);
  const rest = text.slice(TOQ_SCHEME.length);
  // Step 2: the LAST '/' separates the name, so `toq://a/b/c` has host `a/b`.
  const slash = rest.lastIndexOf('/');
  if (slash < 0) return reject('missing-name-separator', text, 'has no "/" before the agent name');
  const name = rest.slice(slash + 1);
  const problem = nameProblem(name);
  if (problem !== undefined) return reject(problem, text, NAME_MESSAGES[problem]);
  const hostPort = rest.slice(0, slash);
  // Step 4: the LAST ':' may start a port; when it does not parse as a u16 the whole text is the host.
  let host = hostPort;
  let port = DEFAULT_PORT;
  let isPortExplicit = false;
  const colon = hostPort.lastIndexOf(':');
  if (colon >= 0) {
    const parsed = parseRustU16(hostPort.slice(colon + 1));
    if (parsed !== undefined) {
      host = hostPort.slice(0, colon);
      port = parsed;
      isPortExplicit = true;
    }
  }
  // Step 5: the host is otherwise not validated at all.
  if (host.length === 0) return reject('empty-host', text, 'has an empty host');
  return { ok: true, address: Object.freeze({ host, port, name, isPortExplicit }) };
}

function reject(reason: AddressRejectReason, text: string, what: string): AddressParseResult {
  return { ok: false, reason, message: `invalid toq address ${quote(text)}: ${what}` };
}

function quote(text: string): string {
  return JSON.stringify(text.length > QUOTE_MAX_CHARS ? `${text.slice(0, QUOTE_MAX_CHARS)}...` : text);
}

interface CacheEntry {
  readonly address: ToqAddress;
  readonly display: string;
}

// Every envelope's from/to goes through here, so successful parses are cached. Map keeps insertion
// order: when full, the oldest entry goes. Failures are not cached, so junk cannot evict much more
// than its own share, and the cap bounds memory whatever peers send.
const cache = new Map<string, CacheEntry>();

function lookup(text: string): CacheEntry {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const result = tryParseAddress(text);
  if (!result.ok) throw new ProtocolError('invalid_envelope', result.message);
  const entry: CacheEntry = { address: result.address, display: formatAddress(result.address) };
  if (cache.size >= ADDRESS_CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(text, entry);
  return entry;
}

/** Parses per spec §2.1. Bad text → ProtocolError('invalid_envelope'). The result is frozen. */
export function parseAddress(text: string): ToqAddress {
  if (typeof text !== 'string') throw new TypeError('address must be a string');
  return lookup(text).address;
}

/** The text form the reference signs and compares (spec §2.2): `canonicalAddress(t) = formatAddress(parseAddress(t))`. */
export function canonicalAddress(text: string): string {
  if (typeof text !== 'string') throw new TypeError('address must be a string');
  return lookup(text).display;
}

/**
 * Spec §2.2: the port is omitted when it is 9009 or when the host needs a DNS lookup (a domain
 * never shows its port; the port is then only known through DNS TXT, §13).
 */
export function formatAddress(address: ToqAddress): string {
  if (address.port === DEFAULT_PORT || needsDnsLookup(address.host)) {
    return `${TOQ_SCHEME}${address.host}/${address.name}`;
  }
  return `${TOQ_SCHEME}${address.host}:${address.port}/${address.name}`;
}

/**
 * Whether the display text survives a re-parse unchanged. It does not for a host that itself
 * ends in `:<digits>` with port 9009 (`toq://h:5:9009/x` displays as `toq://h:5/x`, which a
 * reference receiver re-parses and re-renders as `toq://h/x`), so a signature over such a
 * display would never verify. Check this before signing an address we did not build ourselves.
 */
export function hasStableDisplay(address: ToqAddress): boolean {
  const display = formatAddress(address);
  const again = tryParseAddress(display);
  return again.ok && formatAddress(again.address) === display;
}

/**
 * Builds an address for our own agents from configuration (spec §2.3). Our code's misuse (bad
 * name, empty host, port out of range) is a RangeError. The port counts as explicit.
 */
export function createAddress(host: string, name: string, port: number = DEFAULT_PORT): ToqAddress {
  if (typeof host !== 'string' || host.length === 0) throw new RangeError('host must be a non-empty string');
  if (!isValidAgentName(name)) throw new RangeError(`invalid agent name ${quote(String(name))}`);
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`port ${port} is not a u16`);
  return Object.freeze({ host, port, name, isPortExplicit: true });
}

/** Host, port and name; the explicit flag is ignored, as in the reference's `PartialEq`. */
export function addressEquals(a: ToqAddress, b: ToqAddress): boolean {
  return a.host === b.host && a.port === b.port && a.name === b.name;
}

/**
 * Spec §2.2: not an IP literal to Rust's strict parser, not exactly `localhost`, not ending in
 * `.local`. All comparisons are case-sensitive (`LOCALHOST` needs DNS).
 */
export function needsDnsLookup(host: string): boolean {
  return host !== 'localhost' && !host.endsWith('.local') && !isIpAddress(host);
}

/**
 * Rust's `IpAddr::from_str`: a strict dotted-quad IPv4 (exactly four decimal parts 0-255, no
 * leading zeros, so `127.1` and `01.2.3.4` are refused) or an IPv6 literal without brackets or
 * zone id, with optional `::` compression and an optional embedded IPv4 in the last 32 bits.
 */
export function isIpAddress(host: string): boolean {
  if (host.length === 0) return false;
  // Rust tries IPv4 first; an IPv6 literal can never start with a full dotted quad, so either
  // parse consuming the whole text is the same as Rust's "first that parses, then must be at end".
  return readIpv4(host, 0) === host.length || readIpv6(host) === host.length;
}

const NO_MATCH = -1;

function isDecimalDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return NO_MATCH;
}

/** One IPv4 octet: 1-3 digits read greedily (a 4th digit fails it), no leading zero, ≤ 255. */
function readOctet(text: string, pos: number): number {
  let end = pos;
  let value = 0;
  while (end < text.length && isDecimalDigit(text.charCodeAt(end))) {
    value = value * 10 + (text.charCodeAt(end) - 0x30);
    end++;
    if (end - pos > 3) return NO_MATCH;
  }
  if (end === pos) return NO_MATCH;
  if (end - pos > 1 && text.charCodeAt(pos) === 0x30) return NO_MATCH;
  return value <= 255 ? end : NO_MATCH;
}

/** A dotted quad starting at `pos` (it may be followed by anything); returns where it ends. */
function readIpv4(text: string, pos: number): number {
  let at = pos;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text.charCodeAt(at) !== 0x2e) return NO_MATCH;
      at++;
    }
    at = readOctet(text, at);
    if (at === NO_MATCH) return NO_MATCH;
  }
  return at;
}

/** One IPv6 group: 1-4 hex digits read greedily (a 5th digit fails it); leading zeros allowed. */
function readHexGroup(text: string, pos: number): number {
  let end = pos;
  while (end < text.length && hexValue(text.charCodeAt(end)) !== NO_MATCH) {
    end++;
    if (end - pos > 4) return NO_MATCH;
  }
  return end === pos ? NO_MATCH : end;
}

interface Groups {
  readonly end: number;
  readonly count: number;
  readonly endsWithIpv4: boolean;
}

/**
 * Up to `limit` colon-separated groups from `pos`. An embedded IPv4 is tried first at each
 * position that still has room for two groups, and ends the run. A separator is consumed only
 * when a group follows it, so `1::` stops before the `::`.
 */
function readGroups(text: string, pos: number, limit: number): Groups {
  let at = pos;
  for (let index = 0; index < limit; index++) {
    let start = at;
    if (index > 0) {
      if (text.charCodeAt(at) !== 0x3a) return { end: at, count: index, endsWithIpv4: false };
      start = at + 1;
    }
    if (index < limit - 1) {
      const v4End = readIpv4(text, start);
      if (v4End !== NO_MATCH) return { end: v4End, count: index + 2, endsWithIpv4: true };
    }
    const groupEnd = readHexGroup(text, start);
    if (groupEnd === NO_MATCH) return { end: at, count: index, endsWithIpv4: false };
    at = groupEnd;
  }
  return { end: at, count: limit, endsWithIpv4: false };
}

/** An IPv6 literal from position 0; returns where it ends, or NO_MATCH. */
function readIpv6(text: string): number {
  const head = readGroups(text, 0, 8);
  if (head.count === 8) return head.end;
  // An embedded IPv4 may only come last, never before `::`.
  if (head.endsWithIpv4) return NO_MATCH;
  if (text.charCodeAt(head.end) !== 0x3a || text.charCodeAt(head.end + 1) !== 0x3a) return NO_MATCH;
  // `::` stands for at least one zero group, so the tail has room for 7 - head groups.
  const tail = readGroups(text, head.end + 2, 8 - (head.count + 1));
  return tail.end;
}

/** Test hook: empties the canonicalAddress cache. */
export function clearAddressCache(): void {
  cache.clear();
}

/** Test hook: current number of cached addresses. */
export function addressCacheSize(): number {
  return cache.size;
}
