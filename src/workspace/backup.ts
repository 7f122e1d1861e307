// The encrypted backup format (local-API spec §8), compatible both ways with the reference:
// Argon2id (v0x13, m = 19456 KiB, t = 2, p = 1, 32-byte key, 16-byte random salt) and
// AES-256-GCM (12-byte random nonce, no AAD, tag appended) over a pretty JSON bundle of the
// workspace files. Import also takes the legacy SHA-256 key and unencrypted bundles. Errors
// carry the local API's codes (§3.7): invalid_request for bad input, invalid_passphrase when
// decryption fails. Format and crypto only: backup-files.ts reads and writes the workspace.
//
// Gateway additions (optional members the reference ignores on import): `master_secret` (base64
// of the 32-byte workspace master secret) and `identities` ({hosted agent name: seed as
// identity.key text}); DESIGN §4 requires both in the backup.

import { createCipheriv, createDecipheriv, createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { isValidAgentName } from '../protocol/address.js';
import { decodeBase64Strict, encodeBase64 } from '../protocol/base64.js';
import { seedFromKeyFileText } from '../protocol/ed25519.js';
import { GatewayError } from '../protocol/errors.js';

export const BACKUP_VERSION = '0.1';
export const BACKUP_KDF = 'argon2id';
/** argon2 crate 0.5 defaults (Argon2::default()): spec §8 [derived]. */
export const BACKUP_ARGON2_MEMORY_KIB = 19_456;
export const BACKUP_ARGON2_ITERATIONS = 2;
export const BACKUP_ARGON2_PARALLELISM = 1;
export const BACKUP_KEY_BYTES = 32;
export const BACKUP_SALT_BYTES = 16;
export const BACKUP_NONCE_BYTES = 12;
export const BACKUP_TAG_BYTES = 16;
/** The argon2 crate refuses shorter salts (Error::SaltTooShort). */
export const BACKUP_MIN_SALT_BYTES = 8;
const MASTER_SECRET_BYTES = 32;

/** The plaintext bundle. Text members hold the files' content as is. */
export interface BackupBundle {
  readonly version: string;
  /** identity.key text (base64 of the seed), trimmed. */
  readonly identityKey: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** config.toml text. */
  readonly config: string;
  /** peers.json text, or "{}". */
  readonly peers: string;
  /** Gateway: base64 of the workspace master secret. */
  readonly masterSecret?: string;
  /** Gateway: hosted agent name → seed in identity.key form. */
  readonly identities?: Readonly<Record<string, string>>;
}

/** The encrypted wrapper, members in the order the reference prints them (serde_json map). */
export interface BackupWrapper {
  readonly data: string;
  readonly encrypted: true;
  readonly kdf: typeof BACKUP_KDF;
  readonly nonce: string;
  readonly salt: string;
}

export type BackupErrorCode = 'invalid_request' | 'invalid_passphrase';

/** A backup that cannot be imported (or a passphrase that cannot be used to export). */
export class BackupError extends GatewayError {
  declare readonly code: BackupErrorCode;
  constructor(code: BackupErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface BackupDeps {
  /** @default node:crypto randomBytes */
  readonly randomBytes?: (length: number) => Uint8Array;
}

export interface DecryptBackupOptions {
  /** The CLI's `toq import` requires `peers`; the API import defaults it to "{}". @default false */
  readonly isPeersRequired?: boolean;
}

/**
 * The bundle as pretty JSON with keys in byte order, as serde_json prints the reference's
 * `json!` map (the spec §8 vector decrypts to exactly this layout).
 */
export function formatBundlePlaintext(bundle: BackupBundle): string {
  const members: Record<string, unknown> = {
    version: bundle.version,
    identity_key: bundle.identityKey,
    tls_cert: bundle.tlsCert,
    tls_key: bundle.tlsKey,
    config: bundle.config,
    peers: bundle.peers,
  };
  if (bundle.masterSecret !== undefined) members['master_secret'] = bundle.masterSecret;
  if (bundle.identities !== undefined) members['identities'] = sortedObject(bundle.identities);
  return JSON.stringify(sortedObject(members), null, 2);
}

/** Argon2id key of spec §8. Runs off the event loop's critical path in short slices (~200 ms total here). */
export async function deriveBackupKey(passphrase: string, salt: Uint8Array): Promise<Uint8Array> {
  if (salt.length < BACKUP_MIN_SALT_BYTES) throw new RangeError(`salt must be at least ${BACKUP_MIN_SALT_BYTES} bytes`);
  return argon2idAsync(new TextEncoder().encode(passphrase), salt, {
    t: BACKUP_ARGON2_ITERATIONS,
    m: BACKUP_ARGON2_MEMORY_KIB,
    p: BACKUP_ARGON2_PARALLELISM,
    dkLen: BACKUP_KEY_BYTES,
    asyncTick: 10,
  });
}

/** The key of old backups without `kdf: "argon2id"`: SHA-256 of the passphrase. */
export function legacyBackupKey(passphrase: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(passphrase, 'utf8').digest());
}

/** Encrypts `bundle` as the reference's export does. An empty passphrase is refused. */
export async function encryptBackup(bundle: BackupBundle, passphrase: string, deps: BackupDeps = {}): Promise<BackupWrapper> {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new BackupError('invalid_request', 'Passphrase cannot be empty');
  }
  const random = deps.randomBytes ?? ((length: number) => new Uint8Array(nodeRandomBytes(length)));
  const salt = random(BACKUP_SALT_BYTES);
  const nonce = random(BACKUP_NONCE_BYTES);
  if (salt.length !== BACKUP_SALT_BYTES || nonce.length !== BACKUP_NONCE_BYTES) throw new RangeError('randomBytes returned the wrong length');
  const key = await deriveBackupKey(passphrase, salt);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const body = Buffer.concat([cipher.update(formatBundlePlaintext(bundle), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { data: encodeBase64(body), encrypted: true, kdf: BACKUP_KDF, nonce: encodeBase64(nonce), salt: encodeBase64(salt) };
  } finally {
    key.fill(0);
  }
}

/** Compact for the API's `data` string, pretty (two spaces, no final newline) for `toq export <file>`. */
export function formatBackupWrapper(wrapper: BackupWrapper, options: { readonly isPretty?: boolean } = {}): string {
  const ordered = { data: wrapper.data, encrypted: wrapper.encrypted, kdf: wrapper.kdf, nonce: wrapper.nonce, salt: wrapper.salt };
  return options.isPretty === true ? JSON.stringify(ordered, null, 2) : JSON.stringify(ordered);
}

/**
 * Decrypts (or, for a wrapper without `encrypted: true`, takes as is) a backup text and checks
 * its members. Same decisions and messages as the reference's API import, except that a nonce
 * that is not 12 bytes is a clean invalid_request (the reference panics) and that the gateway
 * members and identity_key are checked before anything is written.
 */
export async function decryptBackup(text: string, passphrase: string, options: DecryptBackupOptions = {}): Promise<BackupBundle> {
  let wrapper: unknown;
  try {
    wrapper = JSON.parse(text);
  } catch (err) {
    throw new BackupError('invalid_request', `Invalid backup data: ${(err as Error).message}`, { cause: err });
  }
  const bundle = isObject(wrapper) && wrapper['encrypted'] === true ? await decryptWrapper(wrapper, passphrase) : wrapper;
  return readBundle(bundle, options);
}

async function decryptWrapper(wrapper: Record<string, unknown>, passphrase: string): Promise<unknown> {
  let key: Uint8Array;
  if (wrapper['kdf'] === BACKUP_KDF) {
    const salt = decodeMember(wrapper, 'salt');
    if (salt === undefined) throw new BackupError('invalid_request', 'Missing salt in backup');
    if (salt.length < BACKUP_MIN_SALT_BYTES) throw new BackupError('invalid_request', `Salt in backup is too short (${salt.length} bytes, at least ${BACKUP_MIN_SALT_BYTES})`);
    key = await deriveBackupKey(passphrase, salt);
  } else {
    key = legacyBackupKey(passphrase);
  }
  try {
    const nonce = decodeMember(wrapper, 'nonce');
    if (nonce === undefined) throw new BackupError('invalid_request', 'Missing nonce in backup');
    if (nonce.length !== BACKUP_NONCE_BYTES) throw new BackupError('invalid_request', `Nonce in backup must be ${BACKUP_NONCE_BYTES} bytes, got ${nonce.length}`);
    const data = decodeMember(wrapper, 'data');
    if (data === undefined) throw new BackupError('invalid_request', 'Missing data in backup');
    let plaintext: Buffer;
    try {
      if (data.length < BACKUP_TAG_BYTES) throw new RangeError('shorter than the tag');
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAuthTag(data.subarray(data.length - BACKUP_TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(data.subarray(0, data.length - BACKUP_TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new BackupError('invalid_passphrase', 'Wrong passphrase', { cause: err });
    }
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
    } catch (err) {
      throw new BackupError('invalid_passphrase', 'Decryption produced invalid data', { cause: err });
    }
  } finally {
    key.fill(0);
  }
}

function readBundle(value: unknown, options: DecryptBackupOptions): BackupBundle {
  const bundle = isObject(value) ? value : {};
  const field = (name: string): string => {
    const member = bundle[name];
    if (typeof member !== 'string') throw new BackupError('invalid_request', `Missing ${name}`);
    return member;
  };
  const identityKey = field('identity_key');
  const tlsCert = field('tls_cert');
  const tlsKey = field('tls_key');
  const config = field('config');
  const peersMember = bundle['peers'];
  if (typeof peersMember !== 'string' && options.isPeersRequired === true) throw new BackupError('invalid_request', 'Missing peers');
  const peers = typeof peersMember === 'string' ? peersMember : '{}';
  try {
    seedFromKeyFileText(identityKey);
  } catch (err) {
    throw new BackupError('invalid_request', 'identity_key in backup is not a base64 Ed25519 seed', { cause: err });
  }
  const version = typeof bundle['version'] === 'string' ? bundle['version'] : BACKUP_VERSION;
  const out: { -readonly [K in keyof BackupBundle]: BackupBundle[K] } = { version, identityKey, tlsCert, tlsKey, config, peers };
  const masterSecret = bundle['master_secret'];
  if (masterSecret !== undefined) {
    if (typeof masterSecret !== 'string' || decodeBase64OrUndefined(masterSecret)?.length !== MASTER_SECRET_BYTES) {
      throw new BackupError('invalid_request', `master_secret in backup must be base64 of ${MASTER_SECRET_BYTES} bytes`);
    }
    out.masterSecret = masterSecret;
  }
  const identities = bundle['identities'];
  if (identities !== undefined) {
    if (!isObject(identities)) throw new BackupError('invalid_request', 'identities in backup must be an object of agent name → seed');
    const checked: Record<string, string> = {};
    for (const [name, seed] of Object.entries(identities)) {
      if (!isValidAgentName(name)) throw new BackupError('invalid_request', `identities in backup: invalid agent name ${JSON.stringify(name)}`);
      try {
        seedFromKeyFileText(typeof seed === 'string' ? seed : '');
      } catch (err) {
        throw new BackupError('invalid_request', `identities.${name} in backup is not a base64 Ed25519 seed`, { cause: err });
      }
      checked[name] = seed as string;
    }
    out.identities = checked;
  }
  return out;
}

/** A base64 member as the reference reads it: a string that decodes, else undefined ("Missing ..."). */
function decodeMember(wrapper: Record<string, unknown>, name: string): Buffer | undefined {
  const member = wrapper[name];
  return typeof member === 'string' ? decodeBase64OrUndefined(member) : undefined;
}

function decodeBase64OrUndefined(text: string): Buffer | undefined {
  try {
    return decodeBase64Strict(text, 'backup member');
  } catch {
    // Not canonical padded base64 (base64 0.22 STANDARD would refuse it too).
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortedObject<T>(object: Readonly<Record<string, T>>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = object[key] as T;
  return out;
}
