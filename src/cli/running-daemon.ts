// Finds the workspace's running daemon: a live pid in toq.pid (a stale file is removed, as the
// reference does) and the port from state.json, else config.toml's port. Returns an ApiClient
// for it. Starting and stopping daemons is the `up`/`down` commands' job.

import { loadConfigFile } from '../config/load-config.js';
import { readLivePid } from '../workspace/pid-file.js';
import { readStateFile } from '../workspace/state-file.js';
import type { WorkspacePaths } from '../workspace/workspace-paths.js';
import { ApiClient } from './api-client.js';
import { notRunningError } from './exit-codes.js';
import { isProcessRunning } from './process-wait.js';

export interface RunningDaemon {
  readonly pid: number;
  readonly port: number;
  /** The agent address from state.json (with the port when it is not 9009). */
  readonly address: string | undefined;
  readonly api: ApiClient;
}

/** The running daemon of this workspace, or undefined. */
export function findRunningDaemon(paths: WorkspacePaths): RunningDaemon | undefined {
  const pid = readLivePid(paths.pid, isProcessRunning);
  if (pid === undefined) return undefined;
  const state = readStateFile(paths.state);
  let port = state?.pid === pid ? state.port : undefined;
  if (port === undefined) {
    // Starting (state.json not written yet) or written by another tool: the configured port.
    try {
      port = loadConfigFile(paths.config).port;
    } catch {
      // A broken config: the daemon could not have started with it; treat as not running.
      return undefined;
    }
    if (port === 0) return undefined;
  }
  return { pid, port, address: state?.address, api: new ApiClient(`http://127.0.0.1:${port}`) };
}

/** The running daemon, or a CliError that exits 3. */
export function requireRunningDaemon(paths: WorkspacePaths): RunningDaemon {
  const daemon = findRunningDaemon(paths);
  if (daemon === undefined) throw notRunningError();
  return daemon;
}
