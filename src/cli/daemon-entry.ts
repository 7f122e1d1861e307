// How to start the daemon process from the CLI: the daemon entry next to this file's tree
// (src/daemon/main.ts run through tsx when the CLI itself runs from source, dist/daemon/main.js
// when built), decided by this module's own extension. The CLI never imports the daemon.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DaemonCommand {
  /** The program (this Node binary). */
  readonly command: string;
  /** Arguments before the daemon's own (`--import tsx <entry>` or `<entry>`). */
  readonly prefix: readonly string[];
}

const HERE = dirname(fileURLToPath(import.meta.url));
const IS_SOURCE = import.meta.url.endsWith('.ts');

export function daemonCommand(): DaemonCommand {
  const entry = join(HERE, '..', 'daemon', IS_SOURCE ? 'main.ts' : 'main.js');
  if (!existsSync(entry)) throw new Error(`daemon entry not found at ${entry}`);
  // The child runs in the user's directory (handlers inherit it, spec §5.2), where a bare
  // `--import tsx` would not resolve: pass tsx's loader as an absolute URL.
  return { command: process.execPath, prefix: IS_SOURCE ? ['--import', tsxLoader(), entry] : [entry] };
}

/** The package version (package.json two levels above this file, in src/ and in dist/). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(HERE, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    // Installed without package.json next to dist/ (should not happen with npm).
    return 'unknown';
  }
}

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    // Not resolvable from here (unusual layout): let the child try from its own cwd.
    return 'tsx';
  }
}
