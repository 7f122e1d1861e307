// Where the workspace is and where each file in it lives (local-API spec §6; toq-core
// constants.rs). Resolution reads the environment and the file system only to decide which
// directory applies; it creates nothing.

import { existsSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The workspace directory name, in the current directory or in $HOME. */
export const TOQ_DIR_NAME = '.toq';
export const TOQ_CONFIG_DIR_ENV = 'TOQ_CONFIG_DIR';

export interface WorkspacePaths {
  readonly configDir: string;
  readonly config: string;
  readonly keysDir: string;
  readonly identityKey: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** Gateway: the workspace master secret (DESIGN §4), 32 random bytes as base64, mode 0600. */
  readonly masterSecret: string;
  /** Gateway: seeds of hosted agents, `keys/agents/<name>.key`, same format as identity.key. */
  readonly agentKeysDir: string;
  readonly handlers: string;
  readonly permissions: string;
  readonly peers: string;
  readonly messages: string;
  readonly state: string;
  readonly pid: string;
  readonly logsDir: string;
  readonly logFile: string;
  readonly handlerLogsDir: string;
  readonly gitignore: string;
}

/**
 * The config directory (spec §6): `--config-dir`, then TOQ_CONFIG_DIR, then `./.toq` when it is
 * a directory (canonicalized, as the reference does), then `$HOME/.toq`.
 */
export function resolveConfigDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (flag) return resolve(cwd, flag);
  const fromEnv = env[TOQ_CONFIG_DIR_ENV];
  if (fromEnv) return resolve(cwd, fromEnv);
  const local = join(cwd, TOQ_DIR_NAME);
  if (existsSync(local) && statSync(local).isDirectory()) return realpathSync(local);
  return join(homeDir(env), TOQ_DIR_NAME);
}

/** `$HOME/.toq/agents`, the machine-wide registry, whatever the workspace (spec §6). */
export function agentsRegistryDir(env: NodeJS.ProcessEnv): string {
  return join(homeDir(env), TOQ_DIR_NAME, 'agents');
}

export function workspacePaths(configDir: string): WorkspacePaths {
  const keysDir = join(configDir, 'keys');
  const logsDir = join(configDir, 'logs');
  return Object.freeze({
    configDir,
    config: join(configDir, 'config.toml'),
    keysDir,
    identityKey: join(keysDir, 'identity.key'),
    tlsCert: join(keysDir, 'tls_cert.pem'),
    tlsKey: join(keysDir, 'tls_key.pem'),
    masterSecret: join(keysDir, 'master.key'),
    agentKeysDir: join(keysDir, 'agents'),
    handlers: join(configDir, 'handlers.toml'),
    permissions: join(configDir, 'permissions.toml'),
    peers: join(configDir, 'peers.json'),
    messages: join(configDir, 'messages.jsonl'),
    state: join(configDir, 'state.json'),
    pid: join(configDir, 'toq.pid'),
    logsDir,
    logFile: join(logsDir, 'toq.log'),
    handlerLogsDir: join(logsDir, 'handlers'),
    gitignore: join(configDir, '.gitignore'),
  });
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return env['HOME'] || homedir();
}
