// Key material in the workspace (local-API spec §6, DESIGN §4): the local agent's Ed25519 seed
// (keys/identity.key), the TLS certificate pair, and the gateway's additions: the workspace
// master secret and one seed per hosted agent. Files are read as the reference writes them, so
// an existing reference workspace works as is; new secrets are written atomically with mode 0600.
// Nothing here decides when keys rotate or which identity answers a handshake.

import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { isValidAgentName } from '../protocol/address.js';
import { decodeBase64Strict, encodeBase64 } from '../protocol/base64.js';
import { generateIdentity, identityFromSeed, keyFileTextFromSeed, seedFromKeyFileText, type Identity } from '../protocol/ed25519.js';
import { createSelfSignedCertificate } from '../transport/tls-certificate.js';
import type { TlsServerCredentials } from '../transport/tls-options.js';
import { SECRET_DIR_MODE, SECRET_FILE_MODE, writeFileAtomicSync } from './atomic-write.js';
import { workspacePaths } from './workspace-paths.js';

export const MASTER_SECRET_BYTES = 32;
const AGENT_KEY_SUFFIX = '.key';
/** Secrets are 0600; a keys directory we create is 0700 (the reference leaves it 0755). */
const SECRET_WRITE = { mode: SECRET_FILE_MODE, dirMode: SECRET_DIR_MODE } as const;

/** keys/identity.key: base64 of the 32-byte seed, no newline; generated when missing. */
export function loadOrCreateIdentity(configDir: string): Identity {
  const path = workspacePaths(configDir).identityKey;
  if (existsSync(path)) return identityFromSeed(readSeedFile(configDir, path));
  const identity = generateIdentity();
  writeSeedFile(path, identity.seed);
  return identity;
}

/** Replaces keys/identity.key (key rotation, backup import). */
export function writeIdentitySeed(configDir: string, seed: Uint8Array): void {
  writeSeedFile(workspacePaths(configDir).identityKey, seed);
}

/** keys/tls_cert.pem and keys/tls_key.pem (PKCS#8); a self-signed pair is made when missing. */
export function loadOrCreateTlsCredentials(configDir: string): TlsServerCredentials {
  const paths = workspacePaths(configDir);
  if (existsSync(paths.tlsCert) && existsSync(paths.tlsKey)) {
    return { certPem: readFileSync(paths.tlsCert, 'utf8'), keyPem: readFileSync(paths.tlsKey, 'utf8') };
  }
  const made = createSelfSignedCertificate();
  writeFileAtomicSync(paths.tlsKey, made.keyPem, SECRET_WRITE);
  writeFileAtomicSync(paths.tlsCert, made.certPem);
  return { certPem: made.certPem, keyPem: made.keyPem };
}

/**
 * The certificate the public port serves: the `tls_cert`/`tls_key` files of the config when
 * set (a real certificate for HTTPS A2A clients, DESIGN §2; relative paths are relative to the
 * config dir), else the workspace's self-signed pair. A configured file that cannot be read is
 * a ConfigError naming the key.
 */
export function loadTlsCredentials(configDir: string, config: { readonly tlsCert?: string; readonly tlsKey?: string }): TlsServerCredentials {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return loadOrCreateTlsCredentials(configDir);
  return {
    certPem: readConfiguredPem(configDir, 'tls_cert', config.tlsCert),
    keyPem: readConfiguredPem(configDir, 'tls_key', config.tlsKey),
  };
}

/** keys/master.key: 32 random bytes as base64 (DESIGN §4: derived principal identities). */
export function loadOrCreateMasterSecret(configDir: string): Uint8Array {
  const path = workspacePaths(configDir).masterSecret;
  if (existsSync(path)) return readMasterSecret(configDir, path);
  const secret = new Uint8Array(randomBytes(MASTER_SECRET_BYTES));
  writeMasterSecret(configDir, secret);
  return secret;
}

export function writeMasterSecret(configDir: string, secret: Uint8Array): void {
  if (secret.length !== MASTER_SECRET_BYTES) throw new RangeError(`master secret must be ${MASTER_SECRET_BYTES} bytes`);
  const path = workspacePaths(configDir).masterSecret;
  writeFileAtomicSync(path, encodeBase64(secret), SECRET_WRITE);
}

/** The master secret if the workspace has one (a reference workspace does not). */
export function readMasterSecretIfPresent(configDir: string): Uint8Array | undefined {
  const path = workspacePaths(configDir).masterSecret;
  return existsSync(path) ? readMasterSecret(configDir, path) : undefined;
}

/** keys/agents/<name>.key: the seed of hosted agent `name`, same format as identity.key. */
export function loadOrCreateAgentIdentity(configDir: string, name: string): Identity {
  const path = agentKeyPath(configDir, name);
  if (existsSync(path)) return identityFromSeed(readSeedFile(configDir, path));
  const identity = generateIdentity();
  writeSeedFile(path, identity.seed);
  return identity;
}

export function writeAgentSeed(configDir: string, name: string, seed: Uint8Array): void {
  writeSeedFile(agentKeyPath(configDir, name), seed);
}

/** Every hosted agent's seed, name → identity.key text, sorted by name (for the backup). */
export function readAgentSeedTexts(configDir: string): Record<string, string> {
  const dir = workspacePaths(configDir).agentKeysDir;
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const names = readdirSync(dir)
    .filter((file) => file.endsWith(AGENT_KEY_SUFFIX))
    .map((file) => file.slice(0, -AGENT_KEY_SUFFIX.length))
    .filter(isValidAgentName)
    .sort();
  for (const name of names) {
    const path = agentKeyPath(configDir, name);
    out[name] = keyFileTextFromSeed(readSeedFile(configDir, path));
  }
  return out;
}

function agentKeyPath(configDir: string, name: string): string {
  // The name becomes a file name: the agent-name alphabet keeps it inside the directory.
  if (!isValidAgentName(name)) throw new RangeError(`invalid agent name ${JSON.stringify(name)}`);
  return join(workspacePaths(configDir).agentKeysDir, `${name}${AGENT_KEY_SUFFIX}`);
}

function readSeedFile(configDir: string, path: string): Uint8Array {
  try {
    return seedFromKeyFileText(readFileSync(path, 'utf8'));
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ConfigError(relative(configDir, path), `${relative(configDir, path)} is not a base64 Ed25519 seed: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function readMasterSecret(configDir: string, path: string): Uint8Array {
  const name = relative(configDir, path);
  let bytes: Buffer;
  try {
    bytes = decodeBase64Strict(readFileSync(path, 'utf8').trim(), name);
  } catch (err) {
    throw new ConfigError(name, `${name} is not canonical base64`, { cause: err });
  }
  if (bytes.length !== MASTER_SECRET_BYTES) throw new ConfigError(name, `${name} must hold ${MASTER_SECRET_BYTES} bytes, got ${bytes.length}`);
  return new Uint8Array(bytes);
}

function writeSeedFile(path: string, seed: Uint8Array): void {
  writeFileAtomicSync(path, keyFileTextFromSeed(seed), SECRET_WRITE);
}

function readConfiguredPem(configDir: string, key: string, file: string): string {
  const path = isAbsolute(file) ? file : resolve(configDir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `${key} file ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}
