// state.json (local-API spec §6): what `toq status` and the SDKs read to find a running daemon.
// Same members and key order as the reference (serde_json's sorted map, pretty, no trailing
// newline). The reference writes it once at start with zero counters; we keep it current:
// updates are coalesced and written atomically at most once per interval, and the file is
// deleted on clean shutdown. It does not count anything itself: the daemon reports the numbers.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

export interface DaemonState {
  readonly activeConnections: number;
  /** The agent's address as the daemon prints it, e.g. `toq://localhost:9009/alice`. */
  readonly address: string;
  /** The connection_mode text from config.toml. */
  readonly connectionMode: string;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly pid: number;
  /** The port actually bound. */
  readonly port: number;
}

/** The file text: keys in byte order, two-space indent, no final newline. */
export function formatStateJson(state: DaemonState): string {
  const ordered = {
    active_connections: state.activeConnections,
    address: state.address,
    connection_mode: state.connectionMode,
    messages_in: state.messagesIn,
    messages_out: state.messagesOut,
    pid: state.pid,
    port: state.port,
    status: 'running',
  };
  return JSON.stringify(ordered, null, 2);
}

/**
 * Reads state.json leniently, as its readers do (the Node SDK only needs `port`): undefined when
 * the file is missing or not a JSON object; members of the wrong type are left out.
 */
export function readStateFile(path: string): Partial<DaemonState> & { readonly status?: string } | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // A torn or hand-edited file: treated like no file, as the SDK does.
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const numbers: [string, keyof DaemonState][] = [
    ['active_connections', 'activeConnections'],
    ['messages_in', 'messagesIn'],
    ['messages_out', 'messagesOut'],
    ['pid', 'pid'],
    ['port', 'port'],
  ];
  for (const [key, property] of numbers) if (typeof v[key] === 'number') out[property] = v[key];
  if (typeof v['address'] === 'string') out['address'] = v['address'];
  if (typeof v['connection_mode'] === 'string') out['connectionMode'] = v['connection_mode'];
  if (typeof v['status'] === 'string') out['status'] = v['status'];
  return out as Partial<DaemonState> & { readonly status?: string };
}

export interface StateFileWriterOptions {
  /** Minimum time between two writes; updates in between are merged. @default 1000 */
  readonly minIntervalMs?: number;
}

export interface StateFileWriterDeps {
  /** @default Date.now */
  readonly now?: () => number;
  /** A failed write is reported here and retried with the next update. @default ignore */
  readonly onError?: (err: unknown) => void;
}

/** Keeps state.json equal to the daemon's current state. */
export class StateFileWriter {
  private state: DaemonState;
  private lastText: string | undefined;
  private lastWriteMs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private isClosed = false;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly path: string,
    initial: DaemonState,
    options: StateFileWriterOptions = {},
    deps: StateFileWriterDeps = {},
  ) {
    this.state = initial;
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    if (!Number.isFinite(this.minIntervalMs) || this.minIntervalMs < 0) throw new RangeError('minIntervalMs must be >= 0');
    this.now = deps.now ?? Date.now;
    this.onError = deps.onError ?? (() => undefined);
  }

  /** Writes the initial state synchronously, so the file exists once start-up returns. */
  start(): void {
    const text = formatStateJson(this.state);
    writeFileAtomicSync(this.path, text, { isDurable: false });
    this.lastText = text;
    this.lastWriteMs = this.now();
  }

  get current(): DaemonState {
    return this.state;
  }

  /** Merges `patch` into the state; the file follows within minIntervalMs. */
  update(patch: Partial<DaemonState>): void {
    if (this.isClosed) return;
    this.state = { ...this.state, ...patch };
    if (this.timer !== undefined) return;
    const waitMs = Math.max(0, this.lastWriteMs + this.minIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueueWrite();
    }, waitMs);
    this.timer.unref();
  }

  /** Writes any pending change now. */
  flush(): Promise<void> {
    this.clearTimer();
    return this.enqueueWrite();
  }

  /** Clean shutdown: stop writing and delete the file (spec §6). */
  async remove(): Promise<void> {
    this.isClosed = true;
    this.clearTimer();
    await this.chain;
    await rm(this.path, { force: true });
  }

  /** Same as remove(), for exit paths that cannot wait. A write in flight deletes its own result. */
  removeSync(): void {
    this.isClosed = true;
    this.clearTimer();
    rmSync(this.path, { force: true });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueueWrite(): Promise<void> {
    this.chain = this.chain.then(() => this.writeIfChanged());
    return this.chain;
  }

  private async writeIfChanged(): Promise<void> {
    if (this.isClosed) return;
    const text = formatStateJson(this.state);
    if (text === this.lastText) return;
    try {
      await writeFileAtomic(this.path, text, { isDurable: false });
      this.lastText = text;
      this.lastWriteMs = this.now();
      if (this.isClosed) await rm(this.path, { force: true });
    } catch (err) {
      this.onError(err);
    }
  }
}
