// The `toq` CLI as a user runs it: real processes (`node --import tsx src/cli/main.ts ...`), real
// daemons on loopback ports, workspaces and $HOME in temp dirs. Assertions are on stdout JSON and
// exit codes. Waits poll files or command output with deadlines; nothing sleeps for a fixed time.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAddress, formatAddress } from '../../src/protocol/address.js';

/** Our address as a daemon on this port shows it (port 9009 is left out, spec §2.2). */
function localAddress(port: number, name: string): string {
  return formatAddress(createAddress('localhost', name, port));
}

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const WAIT_MS = 15_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  json(): Record<string, unknown>;
}

class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'toq-cli-'));
  readonly home = join(this.dir, 'home');
  readonly children: ChildProcess[] = [];
  readonly workspaces: string[] = [];

  ws(name: string): string {
    const path = join(this.dir, name, '.toq');
    this.workspaces.push(path);
    return path;
  }

  private spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, HOME: this.home, TOQ_CONFIG_DIR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    return child;
  }

  /** Runs the CLI to completion. */
  toq(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const child = this.spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    return new Promise((resolve) => {
      child.once('close', (code) =>
        resolve({
          code,
          stdout,
          stderr,
          json: () => {
            try {
              return JSON.parse(stdout) as Record<string, unknown>;
            } catch {
              throw new Error(`stdout of toq ${args.join(' ')} is not JSON (exit ${code}):\n${stdout}\n${stderr}`);
            }
          },
        }),
      );
    });
  }

  /** `toq up --foreground` as a long-running child; resolves with its state once state.json names the daemon. */
  async upForeground(ws: string, extra: string[] = []): Promise<{ cli: ChildProcess; port: number; pid: number }> {
    const cli = this.spawnCli(['up', '--foreground', '--config-dir', ws, ...extra]);
    let stderr = '';
    cli.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    cli.stdout!.resume();
    const state = await waitFor(() => {
      if (cli.exitCode !== null) throw new Error(`toq up --foreground exited with ${cli.exitCode}: ${stderr}`);
      const s = readState(ws);
      return s !== undefined && s['pid'] !== undefined && readPid(ws) === s['pid'] ? s : undefined;
    });
    return { cli, port: state['port'] as number, pid: state['pid'] as number };
  }

  /** Kills what is left: CLI children and any daemon a workspace's pid file still names. */
  cleanup(): void {
    for (const child of this.children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ws of this.workspaces.splice(0)) {
      const pid = readPid(ws);
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readState(ws: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(ws, 'state.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function readPid(ws: string): number | undefined {
  try {
    return Number(readFileSync(join(ws, 'toq.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Polls `check` until it returns a value (or throws), failing after WAIT_MS. */
async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(25);
  }
}

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('toq CLI: the README tour with background daemons', () => {
  const box = new Sandbox();
  afterEach(() => box.cleanup());

  it('alice sends bob "hi"; bob\'s shell handler replies; alice sees the reply in `toq messages`', async () => {
    const alice = box.ws('alice');
    const bob = box.ws('bob');
    const bobPort = await closedPort();
    const [initA, initB] = await Promise.all([box.toq(['init', '--name', 'alice', '--config-dir', alice]), box.toq(['init', '--name', 'bob', '--port', String(bobPort), '--config-dir', bob])]);
    expect([initA.code, initB.code]).toEqual([0, 0]);
    expect((await box.toq(['config', 'set', 'connection_mode', 'open', '--config-dir', bob])).code).toBe(0);

    // Background mode: `up` returns once the daemon has written state.json.
    const [upA, upB] = await Promise.all([box.toq(['up', '--json', '--config-dir', alice]), box.toq(['up', '--json', '--config-dir', bob])]);
    expect(upA.code, upA.stderr).toBe(0);
    expect(upB.code, upB.stderr).toBe(0);
    expect(upB.json()).toMatchObject({ port: bobPort, address: localAddress(bobPort, 'bob') });
    expect(upA.json()['pid']).toBe(readPid(alice));
    expect((await box.toq(['up', '--config-dir', alice])).stderr).toMatch(/^error: toq is already running/);

    const agents = (await box.toq(['agents', '--json'])).json()['agents'] as Record<string, unknown>[];
    expect(agents.map((a) => a['name']).sort()).toEqual(['alice', 'bob']);

    // The handler replies through bob's local API on the same thread (spec §5.2 variables).
    const reply = join(box.dir, 'reply.mjs');
    writeFileSync(
      reply,
      `await fetch(process.env.TOQ_URL + '/v1/messages?wait=true', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: process.env.TOQ_FROM, thread_id: process.env.TOQ_THREAD_ID, body: { text: 'echo: ' + process.env.TOQ_TEXT } }) });\n`,
    );
    const added = await box.toq(['handler', 'add', 'echo', '--command', `"${process.execPath}" "${reply}"`, '--json', '--config-dir', bob]);
    expect(added.json()).toEqual({ status: 'added', name: 'echo', reloaded: true });

    const sent = await box.toq(['send', `toq://127.0.0.1:${bobPort}/bob`, 'hi', '--json', '--config-dir', alice]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.json()).toMatchObject({ status: 'delivered' });
    const threadId = sent.json()['thread_id'];

    const replyMessage = await waitFor(async () => {
      const run = await box.toq(['messages', '--json', '--config-dir', alice]);
      expect(run.code).toBe(0);
      return (run.json()['messages'] as Record<string, unknown>[]).find((m) => m['thread_id'] === threadId);
    });
    expect(replyMessage).toMatchObject({ type: 'message.send', from: localAddress(bobPort, 'bob'), body: { text: 'echo: hi' } });
    const text = await box.toq(['messages', '--config-dir', alice]);
    expect(text.stdout).toMatch(new RegExp(`^\\[[^\\]]+\\] ${localAddress(bobPort, 'bob')}: echo: hi$`, 'm'));
    expect((await box.toq(['messages', '--json', '--config-dir', bob])).json()['messages']).toEqual([expect.objectContaining({ body: { text: 'hi' }, thread_id: threadId })]);

    const [downA, downB] = await Promise.all([box.toq(['down', '--config-dir', alice]), box.toq(['down', '--name', 'bob'])]);
    expect([downA.code, downB.code]).toEqual([0, 0]);
    expect(existsSync(join(alice, 'toq.pid')) || existsSync(join(alice, 'state.json'))).toBe(false);
    expect(existsSync(join(bob, 'toq.pid'))).toBe(false);
    expect((await box.toq(['agents', '--json'])).json()).toEqual({ agents: [] });
    expect((await box.toq(['down', '--config-dir', alice])).code).toBe(3);
  });
});

describe('toq CLI against running daemons (foreground mode)', () => {
  const box = new Sandbox();
  let alice: string;
  let bob: string;
  let aliceDaemon: Awaited<ReturnType<Sandbox['upForeground']>>;
  let bobDaemon: Awaited<ReturnType<Sandbox['upForeground']>>;

  beforeAll(async () => {
    alice = box.ws('alice');
    bob = box.ws('bob');
    await Promise.all([box.toq(['init', '--name', 'alice', '--config-dir', alice]), box.toq(['init', '--name', 'bob', '--config-dir', bob])]);
    // alice stays in approval mode (init's default); bob is open.
    [aliceDaemon, bobDaemon] = await Promise.all([box.upForeground(alice), box.upForeground(bob, ['--mode', 'open'])]);
  });
  afterAll(() => box.cleanup());

  it('status and whoami --json have the documented shapes', async () => {
    const [status, whoami] = await Promise.all([box.toq(['status', '--json', '--config-dir', alice]), box.toq(['whoami', '--json', '--config-dir', alice])]);
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({
      status: 'running',
      address: localAddress(aliceDaemon.port, 'alice'),
      connection_mode: 'approval',
      active_connections: expect.any(Number),
      messages_in: expect.any(Number),
      messages_out: expect.any(Number),
      public_key: expect.stringMatching(/^ed25519:/),
      pid: aliceDaemon.pid,
      port: aliceDaemon.port,
    });
    expect(whoami.json()).toEqual({
      agent_name: 'alice',
      address: 'toq://localhost/alice',
      public_key: status.json()['public_key'],
      connection_mode: 'approval',
      host: 'localhost',
      port: aliceDaemon.port,
      running: true,
      live_address: localAddress(aliceDaemon.port, 'alice'),
    });
  });

  it('exit codes: unreachable peer is 4 (send and ping), a bad address is 1', async () => {
    const port = await closedPort();
    const [send, ping, bad] = await Promise.all([
      box.toq(['send', `toq://127.0.0.1:${port}/nobody`, 'hello?', '--timeout', '5', '--config-dir', bob]),
      box.toq(['ping', `toq://127.0.0.1:${port}/nobody`, '--json', '--config-dir', bob]),
      box.toq(['send', 'not-an-address', 'x', '--config-dir', bob]),
    ]);
    expect(send.code, send.stderr).toBe(4);
    expect(send.stderr).toContain(`no agent running at toq://127.0.0.1:${port}/nobody`);
    expect(ping.code).toBe(4);
    expect(ping.json()).toMatchObject({ reachable: false, public_key: null });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: Invalid toq address/);
    // The failed send stays in bob's outbox (our addition), where `toq outbox` shows it.
    const outbox = (await box.toq(['outbox', '--json', '--config-dir', bob])).json()['entries'] as Record<string, unknown>[];
    expect(outbox.find((e) => e['to'] === `toq://127.0.0.1:${port}/nobody`)).toMatchObject({ status: 'queued' });
  });

  it('approval flow: bob is held pending, alice approves him by number, the next send is delivered', async () => {
    const to = `toq://127.0.0.1:${aliceDaemon.port}/alice`;
    const first = await box.toq(['send', to, 'may I?', '--config-dir', bob]);
    expect(first.code).toBe(4);
    const approvals = (await box.toq(['approvals', '--json', '--config-dir', alice])).json()['approvals'] as Record<string, unknown>[];
    const bobKey = (await box.toq(['whoami', '--json', '--config-dir', bob])).json()['public_key'];
    expect(approvals).toEqual([expect.objectContaining({ public_key: bobKey, address: localAddress(bobDaemon.port, 'bob') })]);
    const approved = await box.toq(['approve', '1', '--config-dir', alice]);
    expect(approved.code, approved.stderr).toBe(0);
    const second = await box.toq(['send', to, 'thanks', '--json', '--config-dir', bob]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json()).toMatchObject({ status: 'delivered' });
    const permissions = (await box.toq(['permissions', '--json', '--config-dir', alice])).json();
    expect(permissions['approved']).toEqual([{ type: 'key', value: bobKey }]);
    expect((await box.toq(['peers', '--json', '--config-dir', alice])).json()['peers']).toEqual([expect.objectContaining({ public_key: bobKey })]);
  });

  it('block / unblock by agent name go through the API and take effect at once', async () => {
    const bobKey = (await box.toq(['whoami', '--json', '--config-dir', bob])).json()['public_key'];
    // "bob" is found in alice's peers (he connected in the approval test) and becomes a key rule.
    const blocked = await box.toq(['block', 'bob', '--json', '--config-dir', alice]);
    expect(blocked.json()).toEqual({ blocked: { type: 'key', value: bobKey }, applied_live: true });
    expect((await box.toq(['permissions', '--json', '--config-dir', alice])).json()).toEqual({ approved: [], blocked: [{ type: 'key', value: bobKey }] });
    const refused = await box.toq(['send', `toq://127.0.0.1:${aliceDaemon.port}/alice`, 'blocked?', '--config-dir', bob]);
    expect(refused.code).toBe(4);
    expect((await box.toq(['unblock', '--key', String(bobKey), '--config-dir', alice])).code).toBe(0);
    expect((await box.toq(['permissions', '--json', '--config-dir', alice])).json()['blocked']).toEqual([]);
  });

  it('config set on a running daemon applies a live key through the API', async () => {
    const set = await box.toq(['config', 'set', 'connection_mode', 'allowlist', '--json', '--config-dir', bob]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json()).toMatchObject({ applied_live: true, restart_needed: [] });
    expect(readFileSync(join(bob, 'config.toml'), 'utf8')).toContain('connection_mode = "allowlist"');
    // The daemon reports the new mode at once (the policy itself follows at restart, spec §7).
    expect((await box.toq(['status', '--json', '--config-dir', bob])).json()['connection_mode']).toBe('allowlist');
    const bad = await box.toq(['config', 'set', 'connection_mode', 'nope', '--config-dir', bob]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('connection_mode');
  });

  // Regression: PATCH /v1/config used to hand lexeme-keeping JSON numbers to the config patcher.
  it('config set of an integer key on a running daemon (PATCH with a JSON number)', async () => {
    const set = await box.toq(['config', 'set', 'max_message_size', '4096', '--config-dir', bob]);
    expect(set.code, set.stderr).toBe(0);
    const tooBig = await box.toq(['send', `toq://127.0.0.1:${aliceDaemon.port}/alice`, 'x'.repeat(5000), '--config-dir', bob]);
    expect(tooBig.stderr).toContain('max is 4096');
  });

  it('up --foreground stops cleanly on SIGTERM and exits 0', async () => {
    aliceDaemon.cli.kill('SIGTERM');
    expect(await exited(aliceDaemon.cli)).toBe(0);
    expect(existsSync(join(alice, 'toq.pid'))).toBe(false);
    expect((await box.toq(['status', '--config-dir', alice])).code).toBe(3);
  });
});
