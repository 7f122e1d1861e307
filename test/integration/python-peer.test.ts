// Our gateway against an independent Python peer (test/crosscheck/reference_peer.py) that was
// written from the wire spec to behave like the Rust reference daemon, in both roles: Python as
// initiator (reference API single send, §9) and Python as receiver (reference daemon, §8).
// It must not share any code with src/: the point is a second opinion on every byte.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { isJsonObject } from '../../src/protocol/json-value.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';

const SCRIPT = join(import.meta.dirname, '..', 'crosscheck', 'reference_peer.py');
const probe = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
const hasPython = probe.status === 0;
if (!hasPython) {
  console.log(`python-peer tests skipped: \`python3 -c "import cryptography"\` failed (${probe.error?.message ?? String(probe.stderr).trim()})`);
}

type Line = Record<string, unknown>;

/** One Python child with its stdout parsed into JSON lines as they arrive. */
class PyPeer {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  private hasExited = false;

  constructor(args: string[]) {
    this.child = spawn('python3', [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      this.lines.push(JSON.parse(text) as Line);
      for (const wake of [...this.waiters]) wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    // Wake waiters on exit too, so a crashed peer fails the test at once instead of at a deadline.
    this.child.once('exit', () => {
      this.hasExited = true;
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Resolves with the lines matching `predicate` once there are at least `n` of them. */
  waitFor(predicate: (l: Line) => boolean, n = 1, timeoutMs = 8_000): Promise<Line[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.filter(predicate);
        if (found.length < n && !this.hasExited) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        if (found.length >= n) resolve(found);
        else reject(new Error(`python peer exited before ${n} matching lines; lines=${JSON.stringify(this.lines)} stderr=${this.stderr}`));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`python peer: ${n} matching lines not seen in ${timeoutMs} ms; lines=${JSON.stringify(this.lines)} stderr=${this.stderr}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the process to end (within a deadline) and returns its exit code. */
  async finish(timeoutMs = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`python peer did not exit in ${timeoutMs} ms; lines=${JSON.stringify(this.lines)} stderr=${this.stderr}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  errors(): Line[] {
    return this.lines.filter((l) => l['event'] === 'error');
  }

  /** Close stdin (the server's clean-exit signal); kill whatever is still running shortly after. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const peers: PyPeer[] = [];
const gateways: TestGateway[] = [];
const dirs: string[] = [];

function python(args: string[]): PyPeer {
  const peer = new PyPeer(args);
  peers.push(peer);
  return peer;
}

async function gateway(name: string, options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  const g = await startTestGateway(name, options);
  gateways.push(g);
  return g;
}

afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PY_ADDRESS = 'toq://127.0.0.1:9111/pyname';
const SEED = '07'.repeat(32);

/** Runs one `send` to `bob` and returns its exit code and JSON lines. */
async function pySend(bob: TestGateway, extra: string[]): Promise<{ code: number | null; lines: Line[] }> {
  const peer = python(['send', '--port', String(bob.port), '--address', PY_ADDRESS, ...extra]);
  const code = await peer.finish();
  return { code, lines: peer.lines };
}

function results(lines: Line[]): Line[] {
  return lines.filter((l) => 'result' in l);
}

function textOf(body: unknown): unknown {
  return isJsonObject(body) ? body['text'] : undefined;
}

describe.skipIf(!hasPython)('python reference peer', () => {
  it('reproduces the spec §19 vectors itself (so its verdicts about us mean something)', async () => {
    const peer = python(['selftest']);
    expect(await peer.finish()).toBe(0);
    expect(peer.lines[0]).toMatchObject({ result: 'ok' });
  });

  describe('as initiator (reference API single send) → our gateway', () => {
    it('sends with wait=true and gets the matching ack; the gateway delivers text, thread and from', async () => {
      const bob = await gateway('bob');
      const { code, lines } = await pySend(bob, ['--target-agent', 'bob', '--text', 'héllo ｡😀 from python', '--thread-id', 'py-t1', '--wait']);
      expect(code, JSON.stringify(lines)).toBe(0);
      const [line] = results(lines);
      expect(line).toMatchObject({ result: 'acked', type: 'message.ack', tls: 'TLSv1.3', alpn: null, peer_address: bob.addressOf(), peer_card_name: 'bob', selected_version: '0.1' });
      expect(line!['ack_id']).toBe(line!['id']);
      expect(line!['peer_key']).toBe(bob.agents[0]!.identity.publicKeyText);
      expect(String(line!['session_id'])).toMatch(/^sess-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // Per direction: negotiation 0, card 1, then our first envelope after setup is 2 (§8, §20.21).
      expect([line!['response_sequence'], line!['card_sequence'], line!['reply_sequence']]).toEqual([0, 1, 2]);

      const [got] = await bob.waitForInbox(1);
      expect(got!.id).toBe(line!['id']);
      expect(got!.type).toBe('message.send');
      expect(textOf(got!.body)).toBe('héllo ｡😀 from python');
      expect(got!.thread_id).toBe('py-t1');
      expect(got!.content_type).toBe('application/json');
      expect(got!.from).toBe(PY_ADDRESS);
    });

    it('still delivers a wait=false send that is followed by session.disconnect and an abrupt drop', async () => {
      const bob = await gateway('bob');
      const { code, lines } = await pySend(bob, ['--target-agent', 'bob', '--text', 'fire and forget', '--thread-id', 'py-t2']);
      expect(code, JSON.stringify(lines)).toBe(0);
      const [line] = results(lines);
      expect(line).toMatchObject({ result: 'queued' });
      const [got] = await bob.waitForInbox(1);
      expect(got!.id).toBe(line!['id']);
      expect(textOf(got!.body)).toBe('fire and forget');
    });

    it('makes 5 sequential fresh connections, each acked and delivered in order', async () => {
      const bob = await gateway('bob');
      const { code, lines } = await pySend(bob, ['--target-agent', 'bob', '--text', 'n {i}', '--thread-id', 'py-t3', '--wait', '--count', '5']);
      expect(code, JSON.stringify(lines)).toBe(0);
      const acked = results(lines);
      expect(acked.map((l) => l['result'])).toEqual(['acked', 'acked', 'acked', 'acked', 'acked']);
      // Five distinct sessions: the reference opens a fresh connection per send (§9).
      expect(new Set(acked.map((l) => l['session_id'])).size).toBe(5);
      const inbox = await bob.waitForInbox(5);
      expect(inbox.map((e) => textOf(e.body))).toEqual(['n 0', 'n 1', 'n 2', 'n 3', 'n 4']);
      expect(inbox.map((e) => e.id)).toEqual(acked.map((l) => l['id']));
    });

    it('gets the reference error object for a wrong target agent', async () => {
      const bob = await gateway('bob');
      const { code, lines } = await pySend(bob, ['--target-agent', 'x', '--text', 'lost', '--wait']);
      expect(code, JSON.stringify(lines)).toBe(2);
      expect(results(lines)).toEqual([{ result: 'error', error: "agent 'x' not found on this endpoint (this is 'bob')" }]);
      expect(bob.inbox).toHaveLength(0);
    });

    it('is held for approval with the reference text, then acked once approved', async () => {
      const bob = await gateway('bob', { connectionMode: 'approval' });
      const first = await pySend(bob, ['--target-agent', 'bob', '--text', 'may I?', '--wait', '--seed', SEED]);
      expect(first.code, JSON.stringify(first.lines)).toBe(3);
      expect(results(first.lines)).toEqual([{ result: 'pending', message: 'Connection pending approval by remote agent', sequence: 0 }]);
      const key = String(first.lines.find((l) => l['event'] === 'identity')!['public_key']);
      expect(bob.policy.listPending().map((p) => [p.publicKey, p.address])).toEqual([[key, PY_ADDRESS]]);
      expect(bob.inbox).toHaveLength(0);

      bob.policy.approvePending(key);
      const second = await pySend(bob, ['--target-agent', 'bob', '--text', 'may I?', '--wait', '--seed', SEED]);
      expect(second.code, JSON.stringify(second.lines)).toBe(0);
      expect(results(second.lines)[0]).toMatchObject({ result: 'acked' });
      const [got] = await bob.waitForInbox(1);
      expect(textOf(got!.body)).toBe('may I?');
    });
  });

  describe('as receiver (reference daemon) ← our gateway', () => {
    async function pyServer(): Promise<{ peer: PyPeer; port: number; address: string }> {
      const dir = mkdtempSync(join(tmpdir(), 'toq-pypeer-'));
      dirs.push(dir);
      const portFile = join(dir, 'port');
      const peer = python(['serve', '--port-file', portFile, '--name', 'pyname']);
      const [listening] = await peer.waitFor((l) => l['event'] === 'listening');
      const port = Number(readFileSync(portFile, 'utf8'));
      expect(listening!['port']).toBe(port);
      return { peer, port, address: `toq://127.0.0.1:${port}/pyname` };
    }

    const messages = (l: Line): boolean => typeof l['type'] === 'string';

    it('accepts a send, prints it and acks it', async () => {
      const alice = await gateway('alice');
      const py = await pyServer();
      const outcome = await alice.endpoint.send(py.address, { type: 'message.send', body: { text: 'hi' }, thread_id: 't' });
      expect(outcome.status).toBe('acked');
      const [msg] = await py.peer.waitFor(messages);
      expect(msg).toEqual({ type: 'message.send', id: outcome.id, from: alice.addressOf(), thread_id: 't', body: { text: 'hi' }, sequence: 2, conn: 1 });
      const [session] = await py.peer.waitFor((l) => l['event'] === 'session');
      expect(session).toMatchObject({ tls: 'TLSv1.3', target_agent: 'pyname', peer_card_name: 'alice', peer_address: alice.addressOf(), peer_key: alice.agents[0]!.identity.publicKeyText });
      expect(py.peer.errors()).toEqual([]);
    });

    it('acks 20 pipelined sends on one session, printed in order', async () => {
      const alice = await gateway('alice');
      const py = await pyServer();
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => alice.endpoint.send(py.address, { type: 'message.send', body: { text: `m${i}`, n: i }, thread_id: 't' })),
      );
      expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 20 }, () => 'acked'));
      const printed = await py.peer.waitFor(messages, 20);
      expect(printed.map((l) => (l['body'] as Line)['text'])).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      expect(printed.map((l) => l['id'])).toEqual(outcomes.map((o) => o.id));
      expect(printed.map((l) => l['sequence'])).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(new Set(printed.map((l) => l['conn']))).toEqual(new Set([1]));
      expect(py.peer.errors()).toEqual([]);
    });

    it('acks a thread.close and a stream of 3 chunks plus an end', async () => {
      const alice = await gateway('alice');
      const py = await pyServer();
      const close = await alice.endpoint.send(py.address, { type: 'thread.close', body: { text: 'bye' }, thread_id: 'tc' });
      expect(close.status).toBe('acked');
      for (const text of ['Hel', 'lo ', 'world']) {
        const chunk = await alice.endpoint.send(py.address, { type: 'message.stream.chunk', body: { stream_id: 's-1', data: { text } }, thread_id: 'st' });
        expect(chunk.status).toBe('acked');
      }
      const end = await alice.endpoint.send(py.address, { type: 'message.stream.end', body: { stream_id: 's-1' }, thread_id: 'st' });
      expect(end.status).toBe('acked');
      const printed = await py.peer.waitFor(messages, 5);
      expect(printed.map((l) => l['type'])).toEqual(['thread.close', 'message.stream.chunk', 'message.stream.chunk', 'message.stream.chunk', 'message.stream.end']);
      expect(printed[0]).toMatchObject({ id: close.id, thread_id: 'tc', body: { text: 'bye' } });
      expect(printed.slice(1, 4).map((l) => ((l['body'] as Line)['data'] as Line)['text']).join('')).toBe('Hello world');
      expect(printed[4]).toMatchObject({ id: end.id, body: { stream_id: 's-1' } });
      expect(py.peer.errors()).toEqual([]);
    });

    it('answers our heartbeats, and the session stays open and usable', async () => {
      const alice = await gateway('alice', { timeouts: { heartbeatIntervalMs: 30 } });
      const py = await pyServer();
      const session = await alice.endpoint.session(py.address);
      await py.peer.waitFor((l) => l['event'] === 'heartbeat', 3);
      await until(() => session.stats.heartbeatsAnswered >= 2, 3_000);
      expect(session.isOpen).toBe(true);
      const outcome = await alice.endpoint.send(py.address, { type: 'message.send', body: { text: 'still here' }, thread_id: 'hb' });
      expect(outcome.status).toBe('acked');
      expect(alice.endpoint.sessionCount).toBe(1);
      expect(py.peer.errors()).toEqual([]);
    });

    it('rejects a send to a wrong agent name with the reference error object', async () => {
      const alice = await gateway('alice');
      const py = await pyServer();
      const wrong = py.address.replace(/\/pyname$/, '/nobody');
      await expect(alice.endpoint.send(wrong, { type: 'message.send', body: { text: 'lost' } })).rejects.toMatchObject({
        code: 'agent_unavailable',
        message: "agent 'nobody' not found on this endpoint (this is 'pyname')",
      });
      await py.peer.waitFor((l) => l['event'] === 'wrong_agent');
    });
  });
});

/** Polls a condition on the event loop (no fixed sleep) until it holds or the deadline passes. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
