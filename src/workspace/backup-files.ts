// Backup export and import against a workspace directory (local-API spec §3.7, §8; DESIGN §4):
// which files go into the bundle and where an import writes them, with key files at 0600.
// The format and the crypto are backup.ts; this module only moves file contents.

import { existsSync, readFileSync } from 'node:fs';
import { keyFileTextFromSeed, seedFromKeyFileText } from '../protocol/ed25519.js';
import { decodeBase64Strict } from '../protocol/base64.js';
import { GatewayError } from '../protocol/errors.js';
import { SECRET_DIR_MODE, SECRET_FILE_MODE, writeFileAtomicSync } from './atomic-write.js';
import {
  BACKUP_VERSION,
  decryptBackup,
  encryptBackup,
  type BackupBundle,
  type BackupDeps,
  type BackupWrapper,
  type DecryptBackupOptions,
} from './backup.js';
import { readAgentSeedTexts, writeAgentSeed, writeMasterSecret } from './identity-files.js';
import { workspacePaths } from './workspace-paths.js';

const SECRET_WRITE = { mode: SECRET_FILE_MODE, dirMode: SECRET_DIR_MODE } as const;

export interface ReadBundleOptions {
  /**
   * Add the gateway members (master secret, hosted identities) when the workspace has them.
   * @default true
   */
  readonly isGatewayIncluded?: boolean;
}

/**
 * Collects the bundle from the workspace: identity key (trimmed), TLS pair, config.toml, and
 * peers.json or "{}". A missing or unreadable required file is GatewayError
 * `backup_source_unreadable` (the local API answers 500, as the reference does).
 */
export function readBackupBundle(configDir: string, options: ReadBundleOptions = {}): BackupBundle {
  const paths = workspacePaths(configDir);
  const identityKey = readRequired(paths.identityKey, 'identity key').trim();
  const bundle: { -readonly [K in keyof BackupBundle]: BackupBundle[K] } = {
    version: BACKUP_VERSION,
    identityKey,
    tlsCert: readRequired(paths.tlsCert, 'TLS cert'),
    tlsKey: readRequired(paths.tlsKey, 'TLS key'),
    config: readRequired(paths.config, 'config'),
    peers: existsSync(paths.peers) ? readRequired(paths.peers, 'peers') : '{}',
  };
  if (options.isGatewayIncluded ?? true) {
    if (existsSync(paths.masterSecret)) bundle.masterSecret = readRequired(paths.masterSecret, 'master secret').trim();
    const identities = readAgentSeedTexts(configDir);
    if (Object.keys(identities).length > 0) bundle.identities = identities;
  }
  return bundle;
}

/** POST /v1/backup/export and `toq export`: the encrypted wrapper of the workspace. */
export async function exportBackup(configDir: string, passphrase: string, options: ReadBundleOptions = {}, deps: BackupDeps = {}): Promise<BackupWrapper> {
  return encryptBackup(readBackupBundle(configDir, options), passphrase, deps);
}

/**
 * Writes an imported bundle: keys/identity.key and keys/tls_key.pem at 0600, the certificate,
 * config.toml and peers.json; plus the master secret and hosted identities when present. The
 * running daemon is not reloaded (spec §3.7).
 */
export function writeBackupBundle(configDir: string, bundle: BackupBundle): void {
  const paths = workspacePaths(configDir);
  // Re-encode the seed: the bundle's text was checked to decode, and this writes it canonically.
  writeFileAtomicSync(paths.identityKey, keyFileTextFromSeed(seedFromKeyFileText(bundle.identityKey)), SECRET_WRITE);
  writeFileAtomicSync(paths.tlsCert, bundle.tlsCert, { dirMode: SECRET_DIR_MODE });
  writeFileAtomicSync(paths.tlsKey, bundle.tlsKey, SECRET_WRITE);
  writeFileAtomicSync(paths.config, bundle.config);
  writeFileAtomicSync(paths.peers, bundle.peers);
  if (bundle.masterSecret !== undefined) writeMasterSecret(configDir, new Uint8Array(decodeBase64Strict(bundle.masterSecret, 'master_secret')));
  for (const [name, seed] of Object.entries(bundle.identities ?? {})) writeAgentSeed(configDir, name, seedFromKeyFileText(seed));
}

/** POST /v1/backup/import and `toq import`: decrypt, check, then write. Returns the bundle. */
export async function importBackup(configDir: string, text: string, passphrase: string, options: DecryptBackupOptions = {}): Promise<BackupBundle> {
  const bundle = await decryptBackup(text, passphrase, options);
  writeBackupBundle(configDir, bundle);
  return bundle;
}

function readRequired(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError('backup_source_unreadable', `Cannot read ${what}: ${(err as Error).message}`, { cause: err });
  }
}
