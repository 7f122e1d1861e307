// Real daemons (startDaemon) in temporary workspaces on 127.0.0.1 port 0, for local-API and A2A
// tests, and reads of a daemon's message history through its local API. It starts and reads
// real daemons only: no mocks, and no assertions (the tests make those).

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';

export interface TestDaemon extends Daemon {
  readonly url: string;
  readonly dir: string;
  cleanup(): Promise<void>;
}

export async function startTestDaemon(
  name: string,
  options: { mode?: string; configToml?: string; handlersToml?: string; outboxBackoffMs?: number[] } = {},
): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `toq-${name}-`));
  mkdirSync(dir, { recursive: true });
  if (options.configToml !== undefined) writeFileSync(join(dir, 'config.toml'), options.configToml);
  if (options.handlersToml !== undefined) writeFileSync(join(dir, 'handlers.toml'), options.handlersToml);
  const daemon = await startDaemon({
    configDir: dir,
    log: pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    port: 0,
    bindAddress: '127.0.0.1',
    overrides: { agentName: name, ...(options.mode !== undefined && { connectionMode: options.mode }) },
    outboxBackoffMs: options.outboxBackoffMs ?? [50, 100, 200],
  });
  return Object.assign(Object.create(daemon) as Daemon, daemon, {
    url: `http://127.0.0.1:${daemon.port}`,
    dir,
    cleanup: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** A running daemon, the base URL of its HTTP side (local API and A2A) and its workspace. */
export interface Workspace {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dir: string;
}

export interface WorkspaceOptions {
  /** The handlers.toml to write; none when undefined. Ignored with `dir`. */
  readonly handlersToml?: string;
  /** @default pino at TEST_LOG, else silent */
  readonly log?: pino.Logger;
  /** Restart in this workspace: its files are kept as they are (config and handlers are not written). */
  readonly dir?: string;
  /** @default 0 */
  readonly port?: number;
  /** A2A blocking-send timeout in ms (overrides the config's a2a_blocking_timeout). @default 1500 */
  readonly blockingTimeoutMs?: number;
  /** Outbox retry delays in ms. @default the daemon's own */
  readonly outboxBackoffMs?: readonly number[];
  /** @default the daemon's own */
  readonly principalIdentityCap?: number;
}

/** A daemon named `name` on 127.0.0.1 with `config` (written after `host = "127.0.0.1"`), in a new temp workspace unless `dir` is given. */
export async function startWorkspace(name: string, config: string, options: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `toq-${name}-`));
  if (options.dir === undefined) {
    writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\n${config}`);
    if (options.handlersToml !== undefined) writeFileSync(join(dir, 'handlers.toml'), options.handlersToml);
  }
  const daemon = await startDaemon({
    configDir: dir,
    log: options.log ?? pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    port: options.port ?? 0,
    bindAddress: '127.0.0.1',
    overrides: { agentName: name },
    a2aBlockingTimeoutMs: options.blockingTimeoutMs ?? 1_500,
    ...(options.outboxBackoffMs !== undefined && { outboxBackoffMs: options.outboxBackoffMs }),
    ...(options.principalIdentityCap !== undefined && { principalIdentityCap: options.principalIdentityCap }),
  });
  return { daemon, url: `http://127.0.0.1:${daemon.port}`, dir };
}

/** Stops each workspace's daemon in turn and deletes its files; skips the ones a failed beforeAll never started. */
export async function stopWorkspaces(...workspaces: ReadonlyArray<Workspace | undefined>): Promise<void> {
  for (const workspace of workspaces) {
    if (workspace === undefined) continue;
    await workspace.daemon.stop();
    rmSync(workspace.dir, { recursive: true, force: true });
  }
}

/** One message as GET /v1/messages/history lists it (the fields the tests read). */
export interface HistoryEntry {
  readonly id: string;
  readonly type?: string;
  readonly from: string;
  readonly thread_id?: string;
  readonly body?: { text?: string; parts?: Array<Record<string, unknown>>; a2a?: { taskId?: string; contextId?: string } };
}

/** The daemon's whole message history (up to 1000), optionally narrowed by `query` (e.g. "&agent=bob"). */
export async function history(url: string, query = ''): Promise<HistoryEntry[]> {
  return ((await (await fetch(`${url}/v1/messages/history?limit=1000${query}`)).json()) as { messages: HistoryEntry[] }).messages;
}

/** The history entry of the message that carried A2A task `taskId` (its body keeps the A2A ids), if there is one yet. */
export async function historyEntryFor(url: string, taskId: string): Promise<HistoryEntry | undefined> {
  return (await history(url)).find((m) => m.body?.a2a?.taskId === taskId);
}
