// The `.toq/` workspace as the reference lays it out (local-API spec §6): where it is, the
// identity key and the TLS certificate. Keys are created on first start with mode 0600 and read
// as the reference writes them, so an existing reference workspace works as is.

import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateIdentity, identityFromSeed, keyFileTextFromSeed, seedFromKeyFileText, type Identity } from '../protocol/ed25519.js';
import { createSelfSignedCertificate } from '../transport/tls-certificate.js';
import type { TlsServerCredentials } from '../transport/tls-options.js';

/** --config-dir, then TOQ_CONFIG_DIR, then ./.toq when it is a directory, then ~/.toq. */
export function resolveConfigDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (flag) return resolve(cwd, flag);
  const fromEnv = env['TOQ_CONFIG_DIR'];
  if (fromEnv) return resolve(cwd, fromEnv);
  const local = join(cwd, '.toq');
  if (existsSync(local) && statSync(local).isDirectory()) return local;
  return join(env['HOME'] ?? homedir(), '.toq');
}

/** keys/identity.key: base64 of the 32-byte seed, no newline; generated when missing. */
export function loadOrCreateIdentity(configDir: string): Identity {
  const path = join(configDir, 'keys', 'identity.key');
  if (existsSync(path)) return identityFromSeed(seedFromKeyFileText(readFileSync(path, 'utf8')));
  const identity = generateIdentity();
  writeSecret(path, keyFileTextFromSeed(identity.seed));
  return identity;
}

/** keys/tls_cert.pem and keys/tls_key.pem (PKCS#8); a self-signed pair is made when missing. */
export function loadOrCreateTlsCredentials(configDir: string): TlsServerCredentials {
  const certPath = join(configDir, 'keys', 'tls_cert.pem');
  const keyPath = join(configDir, 'keys', 'tls_key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  }
  const made = createSelfSignedCertificate();
  writeSecret(keyPath, made.keyPem);
  writeFileSync(certPath, made.certPem);
  return { certPem: made.certPem, keyPem: made.keyPem };
}

function writeSecret(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}
