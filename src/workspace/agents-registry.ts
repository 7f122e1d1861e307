// The machine-wide agents registry, `$HOME/.toq/agents/<name>.toml` (local-API spec §6; the
// reference's register_agent / clean_stale_agents / find_available_port): one file per running
// agent with name, port, pid, config_dir and started_at (Unix seconds, as a string). Used for
// automatic port selection, `toq agents` and `toq down --name`. Reads are line-based like the
// reference's, so files written by either side are understood by both.

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatTomlValue } from '../config/edit-config.js';
import { isValidAgentName } from '../protocol/address.js';
import { writeFileAtomicSync } from './atomic-write.js';
import { isProcessAlive } from './pid-file.js';

export interface AgentRegistration {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly configDir: string;
  /** Unix seconds. */
  readonly startedAt: number;
}

/** Where automatic port selection starts, and the last port it tries (spec §7 `port = 0`). */
export const AUTO_PORT_FIRST = 9009;
export const AUTO_PORT_LAST = 9999;

export function formatRegistration(entry: AgentRegistration): string {
  return [
    `name = ${formatTomlValue(entry.name)}`,
    `port = ${entry.port}`,
    `pid = ${entry.pid}`,
    `config_dir = ${formatTomlValue(entry.configDir)}`,
    `started_at = "${entry.startedAt}"`,
    '',
  ].join('\n');
}

/**
 * Reads a registry file the way the reference does: the first line starting with the key, the
 * text after the "=", trimmed of spaces and quotes. Numbers that do not parse are 0.
 */
export function parseRegistration(text: string): AgentRegistration {
  const lines = text.split('\n');
  const get = (key: string): string => {
    const line = lines.find((l) => l.startsWith(key));
    // Everything after the first "=" (the reference stops at a second "=", cutting such paths short).
    const at = line === undefined ? -1 : line.indexOf('=');
    return line === undefined || at < 0 ? '' : line.slice(at + 1).trim().replace(/^"+|"+$/g, '');
  };
  const number = (key: string): number => {
    const text = get(key);
    return /^[0-9]+$/.test(text) ? Number(text) : 0;
  };
  return { name: get('name'), port: number('port'), pid: number('pid'), configDir: unescapeBasic(get('config_dir')), startedAt: number('started_at') };
}

export function registrationPath(registryDir: string, name: string): string {
  if (!isValidAgentName(name)) throw new RangeError(`invalid agent name ${JSON.stringify(name)}`);
  return join(registryDir, `${name}.toml`);
}

export function writeRegistration(registryDir: string, entry: AgentRegistration): void {
  writeFileAtomicSync(registrationPath(registryDir, entry.name), formatRegistration(entry));
}

export function removeRegistration(registryDir: string, name: string): void {
  rmSync(registrationPath(registryDir, name), { force: true });
}

export function readRegistration(registryDir: string, name: string): AgentRegistration | undefined {
  const path = registrationPath(registryDir, name);
  return existsSync(path) ? parseRegistration(readFileSync(path, 'utf8')) : undefined;
}

/** Every `*.toml` entry, sorted by file name. */
export function listRegistrations(registryDir: string): AgentRegistration[] {
  if (!existsSync(registryDir)) return [];
  return readdirSync(registryDir)
    .filter((file) => file.endsWith('.toml'))
    .sort()
    .flatMap((file) => {
      try {
        return [parseRegistration(readFileSync(join(registryDir, file), 'utf8'))];
      } catch {
        // Vanished or unreadable between readdir and read: another agent is (un)registering.
        return [];
      }
    });
}

/** Deletes entries whose pid is not a live process (clean_stale_agents); returns their names. */
export function removeStaleRegistrations(registryDir: string, isAlive: (pid: number) => boolean = isProcessAlive): string[] {
  if (!existsSync(registryDir)) return [];
  const removed: string[] = [];
  for (const file of readdirSync(registryDir).filter((f) => f.endsWith('.toml'))) {
    const path = join(registryDir, file);
    let entry: AgentRegistration;
    try {
      entry = parseRegistration(readFileSync(path, 'utf8'));
    } catch {
      // Unreadable: leave it, as the reference does.
      continue;
    }
    if (entry.pid > 0 && isAlive(entry.pid)) continue;
    rmSync(path, { force: true });
    removed.push(file.slice(0, -'.toml'.length));
  }
  return removed;
}

/**
 * `port = 0` (find_available_port): the first port from 9009 that no registry entry claims;
 * past 9999 it gives up and answers 9009. Whether the port can be bound is the caller's test.
 */
export function findAvailablePort(claimed: Iterable<number>): number {
  const taken = new Set(claimed);
  for (let port = AUTO_PORT_FIRST; port <= AUTO_PORT_LAST; port++) if (!taken.has(port)) return port;
  return AUTO_PORT_FIRST;
}

/** Ports claimed by registry entries (live or not: stale ones should be removed first). */
export function claimedPorts(registryDir: string): number[] {
  return listRegistrations(registryDir)
    .map((entry) => entry.port)
    .filter((port) => port > 0);
}

// config_dir is written as a TOML basic string; undo the escapes a path can need.
function unescapeBasic(text: string): string {
  return text.replace(/\\(["\\])/g, '$1');
}
