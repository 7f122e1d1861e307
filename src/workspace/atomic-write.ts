// Writes workspace files so that a reader (the reference CLI, an SDK reading state.json, our
// own next start) sees either the old content or the new one, never half a file: write a temp
// file next to the target with the final mode, flush it, then rename over the target.
// It knows nothing about what the files contain.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /**
   * File mode of the new file (not widened by an existing file's mode: the rename replaces it).
   * @default 0o644
   */
  readonly mode?: number;
  /**
   * fsync the file before the rename, so a crash never leaves an empty file behind. Files that
   * are rewritten often and are only informative (state.json) may skip it.
   * @default true
   */
  readonly isDurable?: boolean;
  /** Mode of parent directories this call creates (existing ones are left alone). @default 0o755 */
  readonly dirMode?: number;
}

/** Mode of secret files: identity key, TLS key, master secret (local-API spec §6). */
export const SECRET_FILE_MODE = 0o600;
/** Mode of the directories that hold secrets. */
export const SECRET_DIR_MODE = 0o700;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Synchronous variant, for start-up and shutdown paths. Creates the parent directory. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const mode = options.mode ?? 0o644;
  mkdirSync(dirname(path), { recursive: true, mode: options.dirMode ?? 0o755 });
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    if (options.isDurable ?? true) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Asynchronous variant, for files rewritten while the daemon serves (state.json, permissions). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o644;
  await mkdir(dirname(path), { recursive: true, mode: options.dirMode ?? 0o755 });
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    if (options.isDurable ?? true) await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
