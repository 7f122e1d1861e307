import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { identityFromSeed } from '../../../src/protocol/ed25519.js';
import {
  claimedPorts,
  findAvailablePort,
  formatRegistration,
  listRegistrations,
  parseRegistration,
  readRegistration,
  removeRegistration,
  removeStaleRegistrations,
  writeRegistration,
} from '../../../src/workspace/agents-registry.js';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src/workspace/atomic-write.js';
import { parseHandlersToml } from '../../../src/workspace/handlers-file.js';
import {
  loadOrCreateAgentIdentity,
  loadOrCreateIdentity,
  loadOrCreateTlsCredentials,
  loadTlsCredentials,
  readAgentSeedTexts,
} from '../../../src/workspace/identity-files.js';
import { parsePermissionsToml } from '../../../src/workspace/permissions-file.js';
import { isProcessAlive, readLivePid, readPidFile, writePidFile } from '../../../src/workspace/pid-file.js';
import { StateFileWriter, formatStateJson, readStateFile, type DaemonState } from '../../../src/workspace/state-file.js';
import { WORKSPACE_GITIGNORE, initConfigText, initWorkspace } from '../../../src/workspace/workspace-init.js';
import { agentsRegistryDir, resolveConfigDir, workspacePaths } from '../../../src/workspace/workspace-paths.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toq-ws-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;
const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/workspace/reference/${name}`, import.meta.url), 'utf8');

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('resolveConfigDir (spec §6)', () => {
  it('prefers the flag, then TOQ_CONFIG_DIR, then ./.toq, then $HOME/.toq', () => {
    const home = join(dir, 'home');
    const cwd = join(dir, 'project');
    mkdirSync(cwd, { recursive: true });
    expect(resolveConfigDir('x', { TOQ_CONFIG_DIR: '/env', HOME: home }, cwd)).toBe(join(cwd, 'x'));
    expect(resolveConfigDir(undefined, { TOQ_CONFIG_DIR: 'rel', HOME: home }, cwd)).toBe(join(cwd, 'rel'));
    expect(resolveConfigDir(undefined, { HOME: home }, cwd)).toBe(join(home, '.toq'));
    writeFileSync(join(cwd, '.toq'), 'a file, not a directory');
    expect(resolveConfigDir(undefined, { HOME: home }, cwd)).toBe(join(home, '.toq'));
    rmSync(join(cwd, '.toq'));
    mkdirSync(join(cwd, '.toq'));
    expect(resolveConfigDir(undefined, { HOME: home }, cwd)).toBe(join(cwd, '.toq'));
  });

  it('keeps the agents registry under $HOME whatever the workspace', () => {
    expect(agentsRegistryDir({ HOME: '/h' })).toBe('/h/.toq/agents');
    expect(workspacePaths('/w').identityKey).toBe('/w/keys/identity.key');
    expect(workspacePaths('/w').state).toBe('/w/state.json');
  });
});

describe('atomic writes', () => {
  it('replace the file whole, with the requested mode, leaving no temp files', async () => {
    const path = join(dir, 'sub', 'f.txt');
    writeFileAtomicSync(path, 'one', { mode: 0o600 });
    expect(readFileSync(path, 'utf8')).toBe('one');
    expect(mode(path)).toBe(0o600);
    await writeFileAtomic(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(mode(path)).toBe(0o644);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['f.txt']);
  });
});

describe('identity and TLS files', () => {
  it('reads a reference identity.key (trailing newline tolerated) and creates missing keys 0600', () => {
    mkdirSync(join(dir, 'a', 'keys'), { recursive: true });
    writeFileSync(join(dir, 'a', 'keys', 'identity.key'), 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n');
    expect(loadOrCreateIdentity(join(dir, 'a')).publicKey).toEqual(identityFromSeed(new Uint8Array(32).fill(1)).publicKey);
    const created = loadOrCreateIdentity(join(dir, 'b'));
    const keyText = readFileSync(join(dir, 'b', 'keys', 'identity.key'), 'utf8');
    expect(keyText).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(mode(join(dir, 'b', 'keys', 'identity.key'))).toBe(0o600);
    expect(mode(join(dir, 'b', 'keys'))).toBe(0o700);
    expect(loadOrCreateIdentity(join(dir, 'b')).publicKey).toEqual(created.publicKey);
  });

  it('names the file when identity.key is broken', () => {
    mkdirSync(join(dir, 'keys'), { recursive: true });
    writeFileSync(join(dir, 'keys', 'identity.key'), 'AAAA');
    expect(() => loadOrCreateIdentity(dir)).toThrow(expect.objectContaining({ key: join('keys', 'identity.key') }) as Error);
  });

  it('makes a self-signed pair once, and serves configured files instead when set', () => {
    const made = loadOrCreateTlsCredentials(dir);
    expect(mode(join(dir, 'keys', 'tls_key.pem'))).toBe(0o600);
    expect(loadOrCreateTlsCredentials(dir)).toEqual(made);
    writeFileSync(join(dir, 'real.pem'), 'REAL CERT');
    writeFileSync(join(dir, 'real.key'), 'REAL KEY');
    expect(loadTlsCredentials(dir, { tlsCert: 'real.pem', tlsKey: join(dir, 'real.key') })).toEqual({ certPem: 'REAL CERT', keyPem: 'REAL KEY' });
    expect(() => loadTlsCredentials(dir, { tlsCert: 'missing.pem', tlsKey: 'real.key' })).toThrow(ConfigError);
  });

  it('keeps one seed per hosted agent', () => {
    const helper = loadOrCreateAgentIdentity(dir, 'helper');
    expect(loadOrCreateAgentIdentity(dir, 'helper').publicKey).toEqual(helper.publicKey);
    loadOrCreateAgentIdentity(dir, 'bob');
    expect(Object.keys(readAgentSeedTexts(dir))).toEqual(['bob', 'helper']);
    expect(() => loadOrCreateAgentIdentity(dir, '../x')).toThrow(RangeError);
  });
});

describe('state.json', () => {
  const state: DaemonState = { activeConnections: 0, address: 'toq://localhost:9009/alice', connectionMode: 'approval', messagesIn: 0, messagesOut: 0, pid: 42, port: 9009 };

  it('has the reference members in byte order and no final newline', () => {
    expect(formatStateJson(state)).toBe(
      '{\n  "active_connections": 0,\n  "address": "toq://localhost:9009/alice",\n  "connection_mode": "approval",\n  "messages_in": 0,\n  "messages_out": 0,\n  "pid": 42,\n  "port": 9009,\n  "status": "running"\n}',
    );
  });

  it('is kept current and deleted on clean shutdown', async () => {
    const path = join(dir, 'state.json');
    const writer = new StateFileWriter(path, state, { minIntervalMs: 0 });
    writer.start();
    expect(readStateFile(path)).toMatchObject({ port: 9009, status: 'running', messagesIn: 0 });
    writer.update({ messagesIn: 3, activeConnections: 2 });
    await writer.flush();
    expect(readStateFile(path)).toMatchObject({ messagesIn: 3, activeConnections: 2 });
    await writer.remove();
    expect(existsSync(path)).toBe(false);
    writer.update({ messagesIn: 4 });
    await writer.flush();
    expect(existsSync(path)).toBe(false);
  });

  it('coalesces updates within the interval into one later write', async () => {
    const path = join(dir, 'state.json');
    let now = 1000;
    const writer = new StateFileWriter(path, state, { minIntervalMs: 60_000 }, { now: () => now });
    writer.start();
    writer.update({ messagesOut: 1 });
    writer.update({ messagesOut: 2 });
    expect(readStateFile(path)?.messagesOut).toBe(0);
    now += 60_000;
    await writer.flush();
    expect(readStateFile(path)?.messagesOut).toBe(2);
    writer.removeSync();
    expect(existsSync(path)).toBe(false);
  });

  it('reads missing or torn files as undefined', () => {
    expect(readStateFile(join(dir, 'nope.json'))).toBeUndefined();
    writeFileSync(join(dir, 'torn.json'), '{"port": 90');
    expect(readStateFile(join(dir, 'torn.json'))).toBeUndefined();
  });
});

describe('toq.pid', () => {
  it('writes the pid without a newline and reads it back', () => {
    const path = join(dir, 'toq.pid');
    writePidFile(path, 1234);
    expect(readFileSync(path, 'utf8')).toBe('1234');
    expect(readPidFile(path)).toBe(1234);
  });

  it('sees this process alive and removes a stale file', () => {
    const path = join(dir, 'toq.pid');
    writePidFile(path);
    expect(readLivePid(path)).toBe(process.pid);
    const dead = deadPid();
    expect(isProcessAlive(dead)).toBe(false);
    writePidFile(path, dead);
    expect(readLivePid(path)).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it('leaves a file that does not hold a number (like the reference)', () => {
    const path = join(dir, 'toq.pid');
    writeFileSync(path, 'garbage');
    expect(readLivePid(path)).toBeUndefined();
    expect(existsSync(path)).toBe(true);
    writeFileSync(path, ' 77\n');
    expect(readPidFile(path)).toBe(77);
  });
});

describe('agents registry', () => {
  it('reads a reference registry file', () => {
    expect(parseRegistration(fixture('agent-registry.toml'))).toEqual({ name: 'alice', port: 9011, pid: 4242, configDir: '/home/user/project/.toq', startedAt: 1_735_689_600 });
  });

  it('writes the reference layout and round-trips', () => {
    const entry = { name: 'alice', port: 9011, pid: 4242, configDir: '/home/user/project/.toq', startedAt: 1_735_689_600 };
    expect(formatRegistration(entry)).toBe(fixture('agent-registry.toml'));
    writeRegistration(dir, entry);
    expect(readRegistration(dir, 'alice')).toEqual(entry);
    expect(listRegistrations(dir)).toEqual([entry]);
    removeRegistration(dir, 'alice');
    expect(listRegistrations(dir)).toEqual([]);
  });

  it('removes entries of dead processes and picks the first unclaimed port', () => {
    writeRegistration(dir, { name: 'live', port: 9009, pid: process.pid, configDir: '/a', startedAt: 1 });
    writeRegistration(dir, { name: 'dead', port: 9010, pid: deadPid(), configDir: '/b', startedAt: 1 });
    expect(removeStaleRegistrations(dir)).toEqual(['dead']);
    expect(claimedPorts(dir)).toEqual([9009]);
    expect(findAvailablePort(claimedPorts(dir))).toBe(9010);
    const all = Array.from({ length: 991 }, (_, i) => 9009 + i);
    expect(findAvailablePort(all)).toBe(9009);
  });
});

describe('toq init', () => {
  it('writes the workspace files, which load as the reference defaults', () => {
    const configDir = initWorkspace(dir, { name: 'alice' });
    const paths = workspacePaths(configDir);
    const config = loadConfig(readFileSync(paths.config, 'utf8'));
    expect([config.agentName, config.host, config.port, config.connectionModeText]).toEqual(['alice', 'localhost', 0, 'approval']);
    expect(readFileSync(paths.gitignore, 'utf8')).toBe(WORKSPACE_GITIGNORE);
    expect(WORKSPACE_GITIGNORE.startsWith('keys/\npeers.json\nmessages.jsonl\nlogs/\n')).toBe(true);
    expect(parseHandlersToml(readFileSync(paths.handlers, 'utf8'))).toEqual([]);
    expect(parsePermissionsToml(readFileSync(paths.permissions, 'utf8'))).toEqual({ approved: [], blocked: [], pending: [] });
    expect(statSync(paths.logsDir).isDirectory()).toBe(true);
    expect(existsSync(paths.identityKey)).toBe(false);
    expect(() => initWorkspace(dir)).toThrow(expect.objectContaining({ code: 'workspace_exists' }) as Error);
  });

  it('writes host only when not localhost, and an explicit port', () => {
    const config = loadConfig(initConfigText({ name: 'bob', host: 'bob.example.org', port: 9010 }));
    expect([config.host, config.port]).toEqual(['bob.example.org', 9010]);
    expect(initConfigText({ name: 'bob' })).not.toContain('host');
    expect(() => initConfigText({ name: 'Bob' })).toThrow(ConfigError);
  });
});
