// Delivery you can trust, with real processes (issue #3): kill -9 of the receiver, and
// separately of the sender, during a burst; restart; every send that was answered with success
// is delivered exactly once. A peer offline for 20 s and then back gets its messages.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../helpers/ports.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'daemon', 'main.ts');
const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});


interface Proc {
  readonly child: ChildProcess;
  readonly url: string;
  readonly address: string;
}

/** Starts `main.ts up` in its own process and waits for its "up" log line. */
async function up(dir: string, name: string, port: number, mode: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'up', '--config-dir', dir, '--name', name, '--port', String(port), '--mode', mode, '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    // $HOME in a temp dir: the daemon registers itself under $HOME/.toq/agents.
    env: { ...process.env, HOME: dir },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 20_000);
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      try {
        const v = JSON.parse(line) as Record<string, unknown>;
        if (v['msg'] === 'toq gateway up') {
          clearTimeout(timer);
          resolve(String(v['address']));
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, address };
}

async function kill9(proc: Proc): Promise<void> {
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGKILL');
  await exited;
}

async function send(url: string, to: string, n: number): Promise<string | undefined> {
  try {
    const resp = await fetch(`${url}/v1/messages?wait=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to, body: { text: `m${n}`, n }, thread_id: 'burst' }),
    });
    if (resp.status !== 202) return undefined;
    return ((await resp.json()) as { id: string }).id;
  } catch {
    return undefined; // the sender died while answering: not a success
  }
}

async function historyIds(url: string): Promise<string[]> {
  const resp = await fetch(`${url}/v1/messages/history?limit=1000`);
  const h = (await resp.json()) as { messages: Array<{ id: string }> };
  return h.messages.map((m) => m.id);
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // the daemon may be restarting
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `toq-rel-${name}-`));
  dirs.push(dir);
  return dir;
}

describe('delivery survives kill -9', () => {
  it('receiver killed during a burst: every accepted send delivered exactly once after restart', async () => {
    const [alicePort, bobPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const aliceDir = tempDir('alice');
    const bobDir = tempDir('bob');
    const alice = await up(aliceDir, 'alice', alicePort, 'open');
    let bob = await up(bobDir, 'bob', bobPort, 'open');

    const accepted: string[] = [];
    const burst = (async () => {
      for (let i = 0; i < 150; i++) {
        const id = await send(alice.url, bob.address, i);
        if (id) accepted.push(id);
      }
    })();
    await until(async () => (await historyIds(bob.url)).length >= 20, 15_000, 'first messages at bob');
    await kill9(bob);
    await burst;
    expect(accepted).toHaveLength(150); // alice kept answering while bob was down
    bob = await up(bobDir, 'bob', bobPort, 'open');
    await until(async () => (await historyIds(bob.url)).length >= 150, 60_000, 'all messages at bob');
    const ids = await historyIds(bob.url);
    expect(new Set(ids).size).toBe(ids.length); // nothing twice
    expect(new Set(ids)).toEqual(new Set(accepted)); // everything accepted
  }, 90_000);

  it('sender killed during a burst: every send answered 202 is delivered after its restart', async () => {
    const [alicePort, bobPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const aliceDir = tempDir('alice');
    const bobDir = tempDir('bob');
    let alice = await up(aliceDir, 'alice', alicePort, 'open');
    const bob = await up(bobDir, 'bob', bobPort, 'open');

    const accepted: string[] = [];
    let isAlive = true;
    const burst = (async () => {
      for (let i = 0; i < 400 && isAlive; i++) {
        const id = await send(alice.url, bob.address, i);
        if (id) accepted.push(id);
      }
    })();
    await until(async () => accepted.length >= 60, 20_000, 'sends accepted');
    isAlive = false;
    await kill9(alice);
    await burst;
    alice = await up(aliceDir, 'alice', alicePort, 'open');
    await until(async () => {
      const ids = new Set(await historyIds(bob.url));
      return accepted.every((id) => ids.has(id));
    }, 60_000, 'every accepted send at bob');
    const ids = await historyIds(bob.url);
    expect(new Set(ids).size).toBe(ids.length);
  }, 90_000);
});

describe('delivery to a peer that was offline', () => {
  it('delivers a message queued while the peer was offline for 20 s', async () => {
    const [alicePort, bobPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const alice = await up(tempDir('alice'), 'alice', alicePort, 'open');
    const bobDir = tempDir('bob');
    const bobAddress = `toq://127.0.0.1:${bobPort}/bob`;
    const id = await send(alice.url, bobAddress, 1);
    expect(id).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const bob = await up(bobDir, 'bob', bobPort, 'open');
    await until(async () => (await historyIds(bob.url)).includes(id!), 60_000, 'the queued message at bob');
    // Bob has it once his commit is done; alice's outbox records the ack a moment later.
    const delivered = async () => ((await (await fetch(`${alice.url}/v1/outbox?status=delivered`)).json()) as { entries: Array<{ id: string; attempts: number }> }).entries.find((e) => e.id === id);
    await until(async () => (await delivered()) !== undefined, 10_000, "alice's outbox entry delivered");
    expect((await delivered())?.attempts).toBeGreaterThan(1);
  }, 120_000);
});
