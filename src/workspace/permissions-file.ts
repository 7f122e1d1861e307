// permissions.toml (local-API spec §6; toq-core config.rs PermissionsFile): arrays `approved`
// and `blocked` of {type = "key"|"address", value} and `pending` of {key, address,
// requested_at (RFC 3339)}, with a comment header. Loading is per entry: a rule whose key does
// not parse (or an unknown type) is skipped with a warning, as the reference's policy loader
// skips it; unlike the reference, one bad entry does not empty the whole file. Also converts
// to and from the PolicyEngine's plain state.

import { existsSync, readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, type ConfigWarn } from '../config/config-error.js';
import { formatTomlValue } from '../config/edit-config.js';
import { decodePublicKeyText, encodePublicKeyText } from '../protocol/ed25519.js';
import type { PendingRequest, PolicyRule, PolicyState } from '../protocol/policy.js';
import { formatTimestamp, parseTimestamp } from '../protocol/timestamp.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

export interface PendingEntry {
  /** `ed25519:<base64>` */
  readonly key: string;
  readonly address: string;
  /** RFC 3339 text, as stored. */
  readonly requestedAt: string;
}

/** The file's content after per-entry validation. Rules are PolicyRule-shaped. */
export interface PermissionsFile {
  readonly approved: readonly PolicyRule[];
  readonly blocked: readonly PolicyRule[];
  readonly pending: readonly PendingEntry[];
}

export interface PermissionsLoadOptions {
  readonly warn?: ConfigWarn;
}

export const EMPTY_PERMISSIONS: PermissionsFile = Object.freeze({ approved: [], blocked: [], pending: [] });

const HEADER = [
  '# toq permission rules (written by the daemon; edit while it is stopped, or use the CLI)',
  '# type = "key": an ed25519:<base64> public key; type = "address": a toq address or pattern',
  '# such as toq://*, toq://host/* or toq://*/name',
  '',
  '',
].join('\n');

/** Parses permissions.toml text. Invalid TOML is a ConfigError; bad entries are skipped. */
export function parsePermissionsToml(text: string, options: PermissionsLoadOptions = {}): PermissionsFile {
  const warn = options.warn ?? (() => undefined);
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError('permissions.toml', `permissions.toml is not valid TOML at line ${err.line}, column ${err.column}`, { cause: err });
    }
    throw err;
  }
  return {
    approved: readRules(doc, 'approved', warn),
    blocked: readRules(doc, 'blocked', warn),
    pending: readPending(doc, warn),
  };
}

/** The file text: header, then the three arrays (empty ones as `name = []`). */
export function formatPermissionsToml(file: PermissionsFile): string {
  const lines: string[] = [];
  const tables: string[] = [];
  const ruleArrays: [string, readonly PolicyRule[]][] = [
    ['approved', file.approved],
    ['blocked', file.blocked],
  ];
  for (const [name, rules] of ruleArrays) {
    if (rules.length === 0) lines.push(`${name} = []`);
    for (const rule of rules) tables.push(`[[${name}]]\ntype = ${formatTomlValue(rule.type)}\nvalue = ${formatTomlValue(rule.value)}\n`);
  }
  if (file.pending.length === 0) lines.push('pending = []');
  for (const entry of file.pending) {
    tables.push(
      `[[pending]]\nkey = ${formatTomlValue(entry.key)}\naddress = ${formatTomlValue(entry.address)}\nrequested_at = ${formatTomlValue(entry.requestedAt)}\n`,
    );
  }
  const head = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  return HEADER + head + (head.length > 0 && tables.length > 0 ? '\n' : '') + tables.join('\n');
}

/** Reads the file; a missing file is empty permissions. */
export function readPermissionsFile(path: string, options: PermissionsLoadOptions = {}): PermissionsFile {
  if (!existsSync(path)) return EMPTY_PERMISSIONS;
  return parsePermissionsToml(readFileSync(path, 'utf8'), options);
}

export function writePermissionsFileSync(path: string, file: PermissionsFile): void {
  writeFileAtomicSync(path, formatPermissionsToml(file));
}

export function writePermissionsFile(path: string, file: PermissionsFile): Promise<void> {
  return writeFileAtomic(path, formatPermissionsToml(file));
}

/**
 * File → PolicyEngine.fromJSON() input. `requested_at` becomes milliseconds; a pending entry
 * whose time does not parse is skipped with a warning (the peer simply asks again).
 */
export function permissionsToPolicyState(file: PermissionsFile, options: PermissionsLoadOptions = {}): PolicyState {
  const warn = options.warn ?? (() => undefined);
  const pending: PendingRequest[] = [];
  file.pending.forEach((entry, i) => {
    const requestedAtMs = parseTimestamp(entry.requestedAt);
    if (requestedAtMs === undefined) {
      warn({ key: `pending[${i}].requested_at`, message: `pending request of ${entry.key} skipped: requested_at ${JSON.stringify(entry.requestedAt)} is not RFC 3339` });
      return;
    }
    // Whole milliseconds: the engine and the store count in ms (sub-ms digits are dropped).
    pending.push({ publicKey: entry.key, address: entry.address, requestedAtMs: Math.floor(requestedAtMs) });
  });
  return { approved: [...file.approved], blocked: [...file.blocked], pending, replyGrants: [] };
}

/** PolicyEngine.toJSON() → file (reply grants are not persisted here; they live in the store). */
export function policyStateToPermissions(state: Pick<PolicyState, 'approved' | 'blocked' | 'pending'>): PermissionsFile {
  return {
    approved: state.approved.map(copyRule),
    blocked: state.blocked.map(copyRule),
    pending: state.pending.map((p) => ({ key: p.publicKey, address: p.address, requestedAt: formatTimestamp(p.requestedAtMs) })),
  };
}

function copyRule(rule: PolicyRule): PolicyRule {
  return rule.type === 'key' ? { type: 'key', value: rule.value } : { type: 'address', value: rule.value };
}

function readRules(doc: Record<string, unknown>, name: 'approved' | 'blocked', warn: ConfigWarn): PolicyRule[] {
  const items = readArray(doc, name, warn);
  const rules: PolicyRule[] = [];
  items.forEach((item, i) => {
    const key = `${name}[${i}]`;
    const entry = item as Record<string, unknown> | null;
    const type = entry?.['type'];
    const value = entry?.['value'];
    if (typeof item !== 'object' || typeof type !== 'string' || typeof value !== 'string') {
      warn({ key, message: `${key} skipped: a rule needs type and value strings` });
      return;
    }
    let rule: PolicyRule;
    if (type === 'key') {
      const canonical = canonicalKeyText(value);
      if (canonical === undefined) {
        warn({ key, message: `${key} skipped: ${JSON.stringify(value)} is not an ed25519 public key` });
        return;
      }
      rule = { type: 'key', value: canonical };
    } else if (type === 'address') {
      rule = { type: 'address', value };
    } else {
      warn({ key, message: `${key} skipped: unknown rule type ${JSON.stringify(type)} (key or address)` });
      return;
    }
    if (!rules.some((r) => r.type === rule.type && r.value === rule.value)) rules.push(rule);
  });
  return rules;
}

function readPending(doc: Record<string, unknown>, warn: ConfigWarn): PendingEntry[] {
  const out: PendingEntry[] = [];
  readArray(doc, 'pending', warn).forEach((item, i) => {
    const key = `pending[${i}]`;
    const entry = item as Record<string, unknown> | null;
    const publicKey = entry?.['key'];
    const address = entry?.['address'];
    const requestedAt = entry?.['requested_at'];
    if (typeof item !== 'object' || typeof publicKey !== 'string' || typeof address !== 'string' || typeof requestedAt !== 'string') {
      warn({ key, message: `${key} skipped: a pending request needs key, address and requested_at strings` });
      return;
    }
    const canonical = canonicalKeyText(publicKey);
    if (canonical === undefined) {
      warn({ key, message: `${key} skipped: ${JSON.stringify(publicKey)} is not an ed25519 public key` });
      return;
    }
    // First entry per key wins, as in the reference (HashMap entry().or_insert).
    if (!out.some((p) => p.key === canonical)) out.push({ key: canonical, address, requestedAt });
  });
  return out;
}

function readArray(doc: Record<string, unknown>, name: string, warn: ConfigWarn): unknown[] {
  const value = doc[name];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    warn({ key: name, message: `${name} ignored: it must be an array of tables` });
    return [];
  }
  return value;
}

/** `ed25519:` + canonical base64 of a valid point (PublicKey::from_encoded), else undefined. */
function canonicalKeyText(text: string): string | undefined {
  try {
    return encodePublicKeyText(decodePublicKeyText(text));
  } catch {
    // Any decoding failure means "not a key"; the caller warns with the entry's position.
    return undefined;
  }
}
