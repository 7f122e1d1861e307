// Real processes: the README's tour. One gateway process up in open mode, a second process sends
// it a message over a direct connection; the first prints it on its inbox stream (stdout).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'daemon', 'main.ts');
const children: ChildProcess[] = [];
const HOME_DIR = mkdtempSync(join(tmpdir(), 'toq-proc-home-'));
const dirs: string[] = [];

function run(args: string[]): ChildProcess {
  // From the repository root, so `--import tsx` resolves; the workspaces are absolute paths.
  // $HOME in a temp dir: the daemon registers itself under $HOME/.toq/agents.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: HOME_DIR } });
  children.push(child);
  return child;
}

/** Resolves with the first JSON line on `stream` that satisfies `predicate`. */
function firstLine(stream: NodeJS.ReadableStream, predicate: (v: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    const timer = setTimeout(() => reject(new Error('timed out waiting for a line')), timeoutMs);
    lines.on('line', (line) => {
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not one of ours
      }
      if (predicate(value)) {
        clearTimeout(timer);
        lines.close();
        resolve(value);
      }
    });
  });
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('gateway processes', () => {
  it('starts with embedded defaults, receives a message from another process, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toq-proc-'));
    dirs.push(dir);
    const bob = run(['up', '--port', '0', '--name', 'bob', '--mode', 'open', '--config-dir', join(dir, 'bob')]);
    const up = await firstLine(bob.stderr!, (v) => v['msg'] === 'toq gateway up');
    expect(statSync(join(dir, 'bob', 'gateway.db')).isFile()).toBe(true);
    const address = String(up['address']);
    expect(address).toMatch(/^toq:\/\/localhost:\d+\/bob$/);
    // Keys were created in the workspace with owner-only permissions.
    expect(statSync(join(dir, 'bob', 'keys', 'identity.key')).mode & 0o777).toBe(0o600);

    const inbox = firstLine(bob.stdout!, (v) => v['type'] === 'message.send');
    const alice = run(['send', address, 'hello from another process', '--config-dir', join(dir, 'alice'), '--log-level', 'warn']);
    const result = await firstLine(alice.stdout!, (v) => 'status' in v);
    expect(result['status']).toBe('delivered');
    const received = await inbox;
    expect(received['body']).toEqual({ text: 'hello from another process' });
    expect(received['id']).toBe(result['id']);

    const exited = new Promise<number | null>((resolve) => bob.once('exit', resolve));
    bob.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
