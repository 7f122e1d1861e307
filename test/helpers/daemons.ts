// Real daemons (startDaemon) in temporary workspaces on 127.0.0.1 port 0, for local-API tests.

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
