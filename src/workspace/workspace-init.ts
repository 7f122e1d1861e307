// `toq init` (local-API spec §6, §7, §10): creates `./.toq/` with a minimal config.toml,
// .gitignore, empty handlers.toml and permissions.toml, and logs/. Keys are not made here; they
// come at the first start. Refuses to touch an existing workspace.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { formatTomlValue } from '../config/edit-config.js';
import { isValidAgentName } from '../protocol/address.js';
import { GatewayError } from '../protocol/errors.js';
import { writeFileAtomicSync } from './atomic-write.js';
import { formatHandlersToml } from './handlers-file.js';
import { EMPTY_PERMISSIONS, formatPermissionsToml } from './permissions-file.js';
import { TOQ_DIR_NAME, workspacePaths } from './workspace-paths.js';

export interface InitWorkspaceOptions {
  /** @default 'agent' */
  readonly name?: string;
  /** Written only when not `localhost`. @default 'localhost' */
  readonly host?: string;
  /** `auto` writes `port = 0` (picked at start from the agents registry). @default 'auto' */
  readonly port?: number | 'auto';
}

/**
 * The .gitignore `toq init` writes: the reference's four entries, plus the gateway's database
 * (it holds messages, like messages.jsonl) with its WAL files.
 */
export const WORKSPACE_GITIGNORE = 'keys/\npeers.json\nmessages.jsonl\nlogs/\ngateway.db*\n';

/** The minimal config.toml of `toq init` (spec §7): agent_name, host if not localhost, port, connection_mode. */
export function initConfigText(options: InitWorkspaceOptions = {}): string {
  const name = options.name ?? 'agent';
  const host = options.host ?? 'localhost';
  const port = options.port ?? 'auto';
  if (!isValidAgentName(name)) {
    throw new ConfigError('agent_name', `agent_name must be 1 or more of a-z, 0-9 and "-", not starting or ending with "-", got ${JSON.stringify(name)}`);
  }
  if (host.length === 0) throw new ConfigError('host', 'host must be a non-empty host name or IP address (or "auto"), got ""');
  if (port !== 'auto' && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new ConfigError('port', `port must be an integer from 0 to 65535 or "auto", got ${port}`);
  }
  const lines = ['# toq workspace configuration (all keys: see `toq config show` and the docs)', '', `agent_name = ${formatTomlValue(name)}`];
  if (host !== 'localhost') lines.push(`host = ${formatTomlValue(host)}`);
  lines.push(port === 'auto' ? 'port = 0  # 0 = pick a free port at start' : `port = ${port}`);
  lines.push('', '# who may connect: open, allowlist, approval or dns-verified', 'connection_mode = "approval"', '');
  return lines.join('\n');
}

/** Creates `<cwd>/.toq` and its files; returns the new config dir. Fails if it exists. */
export function initWorkspace(cwd: string, options: InitWorkspaceOptions = {}): string {
  const configDir = join(cwd, TOQ_DIR_NAME);
  if (existsSync(configDir)) throw new GatewayError('workspace_exists', `workspace already initialized (${configDir} exists)`);
  const config = initConfigText(options);
  const paths = workspacePaths(configDir);
  mkdirSync(paths.logsDir, { recursive: true });
  writeFileAtomicSync(paths.config, config);
  writeFileAtomicSync(paths.gitignore, WORKSPACE_GITIGNORE);
  writeFileAtomicSync(paths.handlers, formatHandlersToml([]));
  writeFileAtomicSync(paths.permissions, formatPermissionsToml(EMPTY_PERMISSIONS));
  return configDir;
}
