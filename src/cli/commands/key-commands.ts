// Keys and backups (local-API spec §8, §10): export <path>, import <path>, rotate-keys. Export
// and import work on the workspace files directly (with or without a daemon), with progress
// lines on stderr while the deliberately slow key derivation runs. rotate-keys goes through the
// daemon when it runs (it swaps the key live), else rewrites keys/identity.key.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRotationProof } from '../../protocol/rotation-proof.js';
import { generateIdentity, identityFromSeed, seedFromKeyFileText } from '../../protocol/ed25519.js';
import { GatewayError } from '../../protocol/errors.js';
import { writeFileAtomicSync, SECRET_FILE_MODE } from '../../workspace/atomic-write.js';
import { formatBackupWrapper } from '../../workspace/backup.js';
import { exportBackup, importBackup } from '../../workspace/backup-files.js';
import { writeIdentitySeed } from '../../workspace/identity-files.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { CliError } from '../exit-codes.js';
import { parseCommand } from '../parse-command.js';
import { readPassphrase } from '../prompt.js';
import { findRunningDaemon } from '../running-daemon.js';
import { help } from './workspace-commands.js';

/** How often a terminal sees a progress dot during key derivation. */
const PROGRESS_TICK_MS = 500;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write an encrypted backup of keys, config and peers',
  usage: 'toq export <path>   (passphrase: prompted, or TOQ_PASSPHRASE)',
  async run(input) {
    const { positionals, ctx, isHelp } = parseCommand(input, {}, [1, 1]);
    if (isHelp) return help(ctx, this);
    const path = resolve(ctx.io.cwd, positionals[0]!);
    if (!existsSync(ctx.paths.identityKey)) throw new CliError('backup_source_unreadable', `nothing to export: ${ctx.paths.identityKey} does not exist yet (toq up or toq setup creates it)`);
    const passphrase = await readPassphrase(ctx, { isConfirmed: true });
    const wrapper = await withProgress(ctx, 'encrypting backup (Argon2id key derivation, 19 MiB)', () => exportBackup(ctx.configDir, passphrase));
    writeFileAtomicSync(path, formatBackupWrapper(wrapper, { isPretty: true }), { mode: SECRET_FILE_MODE });
    if (ctx.isJson) return void ctx.json({ path, kdf: wrapper.kdf });
    ctx.out(`backup written to ${path}`);
  },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'restore keys, config and peers from an encrypted backup',
  usage: 'toq import <path>   (passphrase: prompted, or TOQ_PASSPHRASE)',
  async run(input) {
    const { positionals, ctx, isHelp } = parseCommand(input, {}, [1, 1]);
    if (isHelp) return help(ctx, this);
    const path = resolve(ctx.io.cwd, positionals[0]!);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new CliError('invalid_request', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1, { cause: err });
    }
    const passphrase = await readPassphrase(ctx);
    let publicKey: string;
    try {
      const bundle = await withProgress(ctx, 'decrypting backup (Argon2id key derivation, 19 MiB)', () => importBackup(ctx.configDir, text, passphrase));
      publicKey = identityFromSeed(seedFromKeyFileText(bundle.identityKey)).publicKeyText;
    } catch (err) {
      // BackupError: invalid_passphrase ("Wrong passphrase") or invalid_request (bad file).
      if (err instanceof GatewayError && !(err instanceof CliError)) throw new CliError(err.code, err.message, 1, { cause: err });
      throw err;
    }
    const isRunning = findRunningDaemon(ctx.paths) !== undefined;
    if (ctx.isJson) return void ctx.json({ imported: true, public_key: publicKey, config_dir: ctx.configDir, restart_needed: isRunning });
    ctx.out(`imported backup into ${ctx.configDir}\nidentity: ${publicKey}`);
    if (isRunning) ctx.note('note: the running daemon still uses the old files; restart it (toq down && toq up)');
  },
};

export const rotateKeysCommand: Command = {
  name: 'rotate-keys',
  summary: 'replace the identity key and print the rotation proof',
  usage: 'toq rotate-keys [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const daemon = findRunningDaemon(ctx.paths);
    let result: Record<string, unknown>;
    if (daemon !== undefined) {
      result = await daemon.api.post('/v1/keys/rotate');
    } else {
      if (!existsSync(ctx.paths.identityKey)) throw new CliError('not_found', `no identity key to rotate: ${ctx.paths.identityKey} does not exist yet`);
      const old = identityFromSeed(seedFromKeyFileText(readFileSync(ctx.paths.identityKey, 'utf8')));
      const next = generateIdentity();
      writeIdentitySeed(ctx.configDir, next.seed);
      result = { old_public_key: old.publicKeyText, new_public_key: next.publicKeyText, rotation_proof: createRotationProof(old, next.publicKey) };
    }
    if (ctx.isJson) return void ctx.json({ ...result, applied_live: daemon !== undefined });
    ctx.out(`old key: ${String(result['old_public_key'])}\nnew key: ${String(result['new_public_key'])}\nproof:   ${String(result['rotation_proof'])}`);
    ctx.note(
      daemon !== undefined
        ? 'the running daemon uses the new key for new connections; peers that pinned the old key need the proof'
        : 'the new key is used at the next toq up; peers that pinned the old key need the proof',
    );
  },
};

/** Runs `work` with a progress line on stderr (and dots on a terminal), then the time it took. */
async function withProgress<T>(ctx: CliContext, what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  ctx.io.stderr.write(`${what}...`);
  const ticker = ctx.isInteractive ? setInterval(() => ctx.io.stderr.write('.'), PROGRESS_TICK_MS) : undefined;
  try {
    const result = await work();
    ctx.io.stderr.write(` done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (err) {
    ctx.io.stderr.write(' failed\n');
    throw err;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
}
