import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackupError,
  decryptBackup,
  deriveBackupKey,
  encryptBackup,
  formatBackupWrapper,
  formatBundlePlaintext,
  legacyBackupKey,
  type BackupBundle,
} from '../../../src/workspace/backup.js';
import { exportBackup, importBackup, readBackupBundle } from '../../../src/workspace/backup-files.js';
import { loadOrCreateAgentIdentity, loadOrCreateMasterSecret } from '../../../src/workspace/identity-files.js';

interface VectorCase {
  id: string;
  comment: string;
  passphrase: string;
  wrapper: string;
  saltHex?: string;
  nonceHex?: string;
  plaintext?: string;
  bundle?: BackupBundle;
  error?: 'invalid_request' | 'invalid_passphrase';
  message?: string;
}

const vectors = JSON.parse(readFileSync(new URL('../../../fixtures/workspace/backup-vectors.json', import.meta.url), 'utf8')) as {
  kdf: { passphrase: string; saltHex: string; argon2idKeyHex: string; legacyKeyHex: string };
  cases: VectorCase[];
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** randomBytes stand-in returning the given salt, then the given nonce. */
function fixedRandom(saltHex: string, nonceHex: string): (length: number) => Uint8Array {
  const queue = [fromHex(saltHex), fromHex(nonceHex)];
  return (length) => {
    const next = queue.shift();
    if (next === undefined || next.length !== length) throw new Error(`unexpected randomBytes(${length})`);
    return next;
  };
}

describe('backup key derivation (spec §8 vector)', () => {
  it('Argon2id m=19456 t=2 p=1 gives the spec key', async () => {
    const key = await deriveBackupKey(vectors.kdf.passphrase, fromHex(vectors.kdf.saltHex));
    expect(hex(key)).toBe(vectors.kdf.argon2idKeyHex);
  });

  it('legacy key is SHA-256 of the passphrase', () => {
    expect(hex(legacyBackupKey(vectors.kdf.passphrase))).toBe(vectors.kdf.legacyKeyHex);
  });
});

describe('backup import: fixtures/workspace/backup-vectors.json', () => {
  for (const c of vectors.cases) {
    it(c.id, async () => {
      if (c.error !== undefined) {
        const error = await decryptBackup(c.wrapper, c.passphrase).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(BackupError);
        expect((error as BackupError).code).toBe(c.error);
        if (c.message !== undefined) expect((error as BackupError).message).toBe(c.message);
        return;
      }
      const bundle = await decryptBackup(c.wrapper, c.passphrase);
      expect(bundle).toEqual(c.bundle);
    });
  }
});

describe('backup export', () => {
  it('reproduces the spec wrapper byte for byte with the spec salt and nonce', async () => {
    for (const c of vectors.cases.filter((v) => v.plaintext !== undefined)) {
      const bundle = c.bundle as BackupBundle;
      expect(formatBundlePlaintext(bundle), c.id).toBe(c.plaintext);
      const wrapper = await encryptBackup(bundle, c.passphrase, { randomBytes: fixedRandom(c.saltHex as string, c.nonceHex as string) });
      expect(formatBackupWrapper(wrapper), c.id).toBe(c.wrapper);
    }
  });

  it('pretty wrapper (toq export <file>) has the same members in the same order', async () => {
    const c = vectors.cases[0] as VectorCase;
    const wrapper = await encryptBackup(c.bundle as BackupBundle, c.passphrase, { randomBytes: fixedRandom(c.saltHex as string, c.nonceHex as string) });
    const pretty = formatBackupWrapper(wrapper, { isPretty: true });
    expect(pretty.startsWith('{\n  "data": "')).toBe(true);
    expect(JSON.stringify(JSON.parse(pretty))).toBe(c.wrapper);
  });

  it('refuses an empty passphrase with invalid_request', async () => {
    const c = vectors.cases[0] as VectorCase;
    await expect(encryptBackup(c.bundle as BackupBundle, '')).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('uses a fresh salt and nonce each time', async () => {
    const bundle = (vectors.cases[0] as VectorCase).bundle as BackupBundle;
    const a = await encryptBackup(bundle, 'pw');
    const b = await encryptBackup(bundle, 'pw');
    expect(a.salt).not.toBe(b.salt);
    expect(a.nonce).not.toBe(b.nonce);
    expect(await decryptBackup(formatBackupWrapper(a), 'pw')).toEqual(bundle);
  });
});

describe('backup against a workspace directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'toq-backup-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function seedWorkspace(configDir: string): void {
    mkdirSync(join(configDir, 'keys'), { recursive: true });
    writeFileSync(join(configDir, 'keys', 'identity.key'), 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n');
    writeFileSync(join(configDir, 'keys', 'tls_cert.pem'), 'CERT');
    writeFileSync(join(configDir, 'keys', 'tls_key.pem'), 'KEY');
    writeFileSync(join(configDir, 'config.toml'), 'agent_name = "alice"\n');
  }

  it('reads the files as the reference does (trimmed key, "{}" without peers.json)', () => {
    const source = join(dir, 'a');
    seedWorkspace(source);
    expect(readBackupBundle(source)).toEqual({
      version: '0.1',
      identityKey: 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=',
      tlsCert: 'CERT',
      tlsKey: 'KEY',
      config: 'agent_name = "alice"\n',
      peers: '{}',
    });
  });

  it('a missing key file is backup_source_unreadable', () => {
    expect(() => readBackupBundle(join(dir, 'nothing'))).toThrow(expect.objectContaining({ code: 'backup_source_unreadable' }) as Error);
  });

  it('round-trips a gateway workspace, including master secret and hosted identities, with 0600 keys', async () => {
    const source = join(dir, 'a');
    seedWorkspace(source);
    writeFileSync(join(source, 'peers.json'), '{\n  "peers": {}\n}');
    const secret = loadOrCreateMasterSecret(source);
    const helper = loadOrCreateAgentIdentity(source, 'helper');
    const wrapper = await exportBackup(source, 'pw');

    const target = join(dir, 'b');
    const bundle = await importBackup(target, formatBackupWrapper(wrapper), 'pw');
    expect(bundle.identities).toEqual({ helper: Buffer.from(helper.seed).toString('base64') });
    expect(readFileSync(join(target, 'keys', 'identity.key'), 'utf8')).toBe('AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=');
    expect(readFileSync(join(target, 'config.toml'), 'utf8')).toBe('agent_name = "alice"\n');
    expect(readFileSync(join(target, 'peers.json'), 'utf8')).toBe('{\n  "peers": {}\n}');
    expect(Buffer.from(loadOrCreateMasterSecret(target))).toEqual(Buffer.from(secret));
    expect(loadOrCreateAgentIdentity(target, 'helper').publicKey).toEqual(helper.publicKey);
    for (const file of ['keys/identity.key', 'keys/tls_key.pem', 'keys/master.key', 'keys/agents/helper.key']) {
      expect(statSync(join(target, file)).mode & 0o777, file).toBe(0o600);
    }
  });

  it('leaves the workspace untouched when the passphrase is wrong', async () => {
    const c = vectors.cases[0] as VectorCase;
    await expect(importBackup(join(dir, 'b'), c.wrapper, 'nope')).rejects.toMatchObject({ code: 'invalid_passphrase' });
    expect(() => statSync(join(dir, 'b'))).toThrow();
  });

  it('refuses a bundle whose identity_key is not a seed before writing anything', async () => {
    const text = JSON.stringify({ identity_key: 'AAAA', tls_cert: 'c', tls_key: 'k', config: '' });
    await expect(importBackup(join(dir, 'b'), text, '')).rejects.toMatchObject({ code: 'invalid_request' });
    expect(() => statSync(join(dir, 'b'))).toThrow();
  });

  it('the CLI form requires peers', async () => {
    const text = JSON.stringify({ identity_key: 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=', tls_cert: 'c', tls_key: 'k', config: '' });
    await expect(decryptBackup(text, '', { isPeersRequired: true })).rejects.toMatchObject({ message: 'Missing peers' });
    expect((await decryptBackup(text, '')).peers).toBe('{}');
  });
});
