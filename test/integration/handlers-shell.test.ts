// Shell handlers for real: sh processes, the handler log file, stop by process group, the cap.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { HandlerMessage } from '../../src/handlers/handler-message.js';
import { HandlerRunner } from '../../src/handlers/handler-runner.js';
import { parseHandlerSpec } from '../../src/handlers/handler-spec.js';
import { ShellHandler, type ShellHandlerOptions } from '../../src/handlers/shell-handler.js';
import { parseJson } from '../../src/protocol/json-parse.js';

const log = pino({ level: 'silent' });
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 600);
const TS = '2025-01-02T03:04:05.6Z'; // the reference's time-crate RFC 3339 form of NOW

const MESSAGE: HandlerMessage = {
  id: '6f1c1d7e-0000-4000-8000-000000000001',
  type: 'message.send',
  from: 'toq://alice.example/bot',
  body: parseJson('{"text":"hello world","n":1.0}'),
  thread_id: 'thread-1',
  timestamp: '2025-01-02T03:04:05Z',
  fromKey: 'ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=',
};

let dir: string;
const handlers: ShellHandler[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toq-handlers-'));
});

afterEach(async () => {
  await Promise.all(handlers.splice(0).map((h) => h.close()));
  await rm(dir, { recursive: true, force: true });
});

function makeHandler(command: string, over: Partial<ShellHandlerOptions> = {}, name = 'h1'): ShellHandler {
  const handler = new ShellHandler(
    name,
    command,
    { logDir: join(dir, 'logs', 'handlers'), toqUrl: 'http://127.0.0.1:9009', env: { PATH: process.env['PATH'], EXTRA_VAR: 'inherited' }, now: () => NOW, killGraceMs: 200, ...over },
    { log },
  );
  handlers.push(handler);
  return handler;
}

async function logLines(handler: ShellHandler): Promise<string[]> {
  const text = await readFile(handler.logPath, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Alive and not a zombie (a reparented zombie may never be reaped in a container). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function backgroundPid(handler: ShellHandler): Promise<number> {
  return waitFor(async () => {
    const line = (await logLines(handler)).find((l) => l.includes('] bg:'));
    return line === undefined ? undefined : Number(line.slice(line.indexOf('] bg:') + 5));
  }, 'the background pid line');
}

describe('shell handler process', () => {
  it('gets the TOQ_* variables, the daemon env and the message JSON on stdin; logs in the reference format', async () => {
    const h = makeHandler(
      `printf '%s|%s|%s|%s|%s|%s|%s|%s\\n' "$TOQ_FROM" "$TOQ_TEXT" "$TOQ_THREAD_ID" "$TOQ_TYPE" "$TOQ_ID" "$TOQ_HANDLER" "$TOQ_URL" "$EXTRA_VAR"; cat; echo; echo oops >&2; echo sk-abcdefghijklmnopqrstuvwxyz; exit 3`,
    );
    const result = await h.run(MESSAGE);
    expect(result.outcome).toBe('exited');
    expect(result.code).toBe(3);
    const pid = result.pid!;
    const lines = await logLines(h);
    const out = lines.filter((l) => l.startsWith(`[${TS} pid:${pid}] `)).map((l) => l.slice(`[${TS} pid:${pid}] `.length));
    const err = lines.filter((l) => l.startsWith(`[${TS} pid:${pid}:stderr] `)).map((l) => l.slice(`[${TS} pid:${pid}:stderr] `.length));
    expect(out).toEqual([
      `toq://alice.example/bot|hello world|thread-1|message.send|${MESSAGE.id}|h1|http://127.0.0.1:9009|inherited`,
      `{"id":"${MESSAGE.id}","type":"message.send","from":"toq://alice.example/bot","body":{"n":1.0,"text":"hello world"},"thread_id":"thread-1","timestamp":"2025-01-02T03:04:05Z"}`,
      '[REDACTED]',
      'exited with status exit status: 3',
    ]);
    expect(err).toEqual(['oops']);
    expect(lines.length).toBe(5);
  });

  it('writes no exit line on success, TOQ_THREAD_ID empty without a thread, appends across runs', async () => {
    const h = makeHandler('echo "[$TOQ_THREAD_ID][$TOQ_TEXT]"');
    const a = await h.run({ ...MESSAGE, thread_id: undefined, body: { text: 5 } });
    const b = await h.run(MESSAGE);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await logLines(h)).toEqual([`[${TS} pid:${a.pid}] [][]`, `[${TS} pid:${b.pid}] [thread-1][hello world]`]);
  });

  it('streams lines while the process runs', async () => {
    const h = makeHandler('echo first; sleep 30');
    const run = h.run(MESSAGE);
    const lines = await waitFor(async () => {
      const l = await logLines(h);
      return l.length > 0 ? l : undefined;
    }, 'the first line');
    expect(lines[0]).toMatch(/\] first$/);
    expect(h.active).toBe(1);
    expect(h.stop()).toBe(1);
    expect((await run).outcome).toBe('stopped');
  });

  it('stop kills the whole process group (SIGTERM), grandchildren included', async () => {
    const h = makeHandler('sleep 30 & echo "bg:$!"; wait');
    const run = h.run(MESSAGE);
    const bg = await backgroundPid(h);
    const [pid] = h.pids;
    expect(pid).toBeDefined();
    expect(isAlive(pid!)).toBe(true);
    expect(isAlive(bg)).toBe(true);
    expect(h.stop()).toBe(1);
    const result = await run;
    expect(result).toMatchObject({ outcome: 'stopped', signal: 'SIGTERM' });
    await waitFor(() => (isAlive(bg) || isAlive(pid!) ? undefined : true), 'the processes to go', 2000);
    expect(h.active).toBe(0);
    const lines = await logLines(h);
    expect(lines).toContain(`[${TS} pid:${pid}] stopped by request`);
    expect(lines).toContain(`[${TS} pid:${pid}] exited with status signal: 15 (SIGTERM)`);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const h = makeHandler(`trap '' TERM; sleep 30 & echo "bg:$!"; wait; wait`, { killGraceMs: 100 });
    const run = h.run(MESSAGE);
    const bg = await backgroundPid(h);
    h.stop();
    const result = await run;
    expect(result).toMatchObject({ outcome: 'stopped', signal: 'SIGKILL' });
    await waitFor(() => (isAlive(bg) ? undefined : true), 'the grandchild to go', 2000);
    expect(await logLines(h)).toContain(`[${TS} pid:${result.pid}] exited with status signal: 9 (SIGKILL)`);
  });

  it('stop with a pid stops only that process', async () => {
    const h = makeHandler('sleep 30');
    const one = h.run(MESSAGE);
    const two = h.run(MESSAGE);
    await waitFor(() => (h.pids.length === 2 ? true : undefined), 'two processes');
    const [first, second] = h.pids as [number, number];
    expect(h.stop(424242)).toBe(0);
    expect(h.stop(first)).toBe(1);
    expect((await one).pid).toBe(first);
    expect(h.pids).toEqual([second]);
    expect(h.stop()).toBe(1);
    expect((await two).outcome).toBe('stopped');
  });

  it('caps concurrent processes, queues, drops beyond the queue; stop clears the queue', async () => {
    const h = makeHandler('sleep 30', { maxConcurrent: 2, maxQueued: 1 });
    const runs = [h.run(MESSAGE), h.run(MESSAGE), h.run(MESSAGE), h.run(MESSAGE)];
    expect((await runs[3])!.outcome).toBe('dropped');
    await waitFor(() => (h.pids.length === 2 ? true : undefined), 'two processes');
    expect(h.active).toBe(2);
    expect(h.queued).toBe(1);
    expect(h.stop()).toBe(3);
    expect((await Promise.all(runs)).map((r) => r.outcome)).toEqual(['stopped', 'stopped', 'dropped', 'dropped']);
  });

  it('a queued run starts when a slot frees', async () => {
    const h = makeHandler('echo "$TOQ_ID"', { maxConcurrent: 1, maxQueued: 5 });
    const results = await Promise.all([1, 2, 3].map((n) => h.run({ ...MESSAGE, id: `m${n}` })));
    expect(results.map((r) => r.outcome)).toEqual(['exited', 'exited', 'exited']);
    expect((await logLines(h)).map((l) => l.split('] ')[1])).toEqual(['m1', 'm2', 'm3']);
  });

  it('kills a process that exceeds the run timeout', async () => {
    const h = makeHandler('sleep 30', { runTimeoutMs: 100 });
    const result = await h.run(MESSAGE);
    expect(result.outcome).toBe('timed-out');
    expect(await logLines(h)).toContain(`[${TS} pid:${result.pid}] run timeout of 100 ms exceeded`);
  });

  it('reports a spawn failure', async () => {
    const h = makeHandler('true', { cwd: join(dir, 'does-not-exist') });
    expect((await h.run(MESSAGE)).outcome).toBe('spawn-failed');
    expect(h.active).toBe(0);
  });

  it('cuts very long lines', async () => {
    const h = makeHandler(`head -c 5000 /dev/zero | tr '\\0' x; echo; echo after`, { maxLineBytes: 100 });
    await h.run(MESSAGE);
    const lines = (await logLines(h)).map((l) => l.split('] ')[1]);
    expect(lines).toEqual([`${'x'.repeat(100)} [truncated]`, 'after']);
  });
});

describe('HandlerRunner with shell handlers', () => {
  it('dispatches by filter, never on thread.close, lists active counts and stops by name', async () => {
    const logDir = join(dir, 'logs', 'handlers');
    const runner = new HandlerRunner(
      [
        parseHandlerSpec({ name: 'slow', command: 'sleep 30', filter_from: ['toq://alice.example/*'] }),
        parseHandlerSpec({ name: 'bobs', command: 'echo bob', filter_from: ['toq://bob.example/*'] }),
        parseHandlerSpec({ name: 'off', command: 'echo off', enabled: false }),
      ],
      { logDir, toqUrl: 'http://127.0.0.1:9009', env: { PATH: process.env['PATH'] }, shell: { killGraceMs: 200 } },
      { log },
    );
    try {
      expect(runner.dispatch({ ...MESSAGE, type: 'thread.close' })).toEqual([]);
      expect(runner.dispatch(MESSAGE)).toEqual(['slow']);
      await waitFor(() => (runner.pids('slow').length === 1 ? true : undefined), 'the process');
      const pid = runner.pids('slow')[0]!;
      expect(runner.list()).toEqual([
        { name: 'slow', command: 'sleep 30', provider: '', model: '', enabled: true, active: 1, filter_from: ['toq://alice.example/*'], filter_key: [], filter_type: [] },
        { name: 'bobs', command: 'echo bob', provider: '', model: '', enabled: true, active: 0, filter_from: ['toq://bob.example/*'], filter_key: [], filter_type: [] },
        { name: 'off', command: 'echo off', provider: '', model: '', enabled: false, active: 0, filter_from: [], filter_key: [], filter_type: [] },
      ]);
      expect(runner.stop('nope')).toBe(0);
      expect(runner.stop('slow')).toBe(1);
      await runner.whenIdle();
      expect(isAlive(pid)).toBe(false);
      expect(runner.list()[0]!.active).toBe(0);

      runner.reload([parseHandlerSpec({ name: 'bobs', command: 'echo first' }), parseHandlerSpec({ name: 'bobs', command: 'echo reloaded' })]);
      expect(runner.list().map((h) => [h.name, h.command])).toEqual([['bobs', 'echo reloaded']]);
      expect(runner.dispatch(MESSAGE)).toEqual(['bobs']);
      await runner.whenIdle();
      expect(await readFile(join(logDir, 'handler-bobs.log'), 'utf8')).toMatch(/\] reloaded\n$/);
    } finally {
      await runner.close();
    }
  });
});
