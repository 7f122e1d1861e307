// peers.json (local-API spec §6; toq-core keystore.rs PeerStore): the peers that connected to
// us, pretty JSON {"peers": {"ed25519:<key>": {"address", "first_seen", "last_seen"}}}. Loading
// is lenient like the reference's (a missing, empty-object or broken file is no peers), but
// keeps the good entries of a partly broken file instead of dropping them all.

import { existsSync, readFileSync } from 'node:fs';
import type { ConfigWarn } from '../config/config-error.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

export interface PeerRecord {
  readonly address: string;
  /** RFC 3339 text. */
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** Key text (`ed25519:<base64>`) → record, in file order. */
export type PeerMap = Map<string, PeerRecord>;

export interface PeersLoadOptions {
  readonly warn?: ConfigWarn;
}

export function parsePeersJson(text: string, options: PeersLoadOptions = {}): PeerMap {
  const warn = options.warn ?? (() => undefined);
  const peers: PeerMap = new Map();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    warn({ key: 'peers.json', message: `peers.json is not JSON (${(err as Error).message}); starting with no peers` });
    return peers;
  }
  // "{}" is what a backup without peers restores; the reference reads it as no peers.
  const table = isObject(doc) ? doc['peers'] : undefined;
  if (table === undefined) return peers;
  if (!isObject(table)) {
    warn({ key: 'peers', message: 'peers.json "peers" is not an object; starting with no peers' });
    return peers;
  }
  for (const [key, record] of Object.entries(table)) {
    const address = isObject(record) ? record['address'] : undefined;
    const firstSeen = isObject(record) ? record['first_seen'] : undefined;
    const lastSeen = isObject(record) ? record['last_seen'] : undefined;
    if (typeof address !== 'string' || typeof firstSeen !== 'string' || typeof lastSeen !== 'string') {
      warn({ key: `peers.${key}`, message: `peer ${key} skipped: it needs address, first_seen and last_seen strings` });
      continue;
    }
    peers.set(key, { address, firstSeen, lastSeen });
  }
  return peers;
}

/** serde_json pretty form: two-space indent, struct field order, no final newline. */
export function formatPeersJson(peers: ReadonlyMap<string, PeerRecord>): string {
  // A null-prototype object: a key text can never be a prototype setter such as "__proto__".
  const table = Object.create(null) as Record<string, { address: string; first_seen: string; last_seen: string }>;
  for (const [key, record] of peers) table[key] = { address: record.address, first_seen: record.firstSeen, last_seen: record.lastSeen };
  return JSON.stringify({ peers: table }, null, 2);
}

/**
 * Records a connection from `key` at `now` (RFC 3339 text) like PeerStore::upsert: a known peer
 * gets a new last_seen and, when `address` is not empty, the new address.
 */
export function upsertPeer(peers: PeerMap, key: string, address: string, now: string): void {
  const known = peers.get(key);
  if (known === undefined) {
    peers.set(key, { address, firstSeen: now, lastSeen: now });
    return;
  }
  peers.set(key, { address: address === '' ? known.address : address, firstSeen: known.firstSeen, lastSeen: now });
}

export function readPeersFile(path: string, options: PeersLoadOptions = {}): PeerMap {
  if (!existsSync(path)) return new Map();
  return parsePeersJson(readFileSync(path, 'utf8'), options);
}

export function writePeersFileSync(path: string, peers: ReadonlyMap<string, PeerRecord>): void {
  writeFileAtomicSync(path, formatPeersJson(peers));
}

export function writePeersFile(path: string, peers: ReadonlyMap<string, PeerRecord>): Promise<void> {
  return writeFileAtomic(path, formatPeersJson(peers));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
