// `toq conformance` (issue #5, toq half) over real loopback TLS: the session scripts of
// fixtures/toq/session-scripts.json against our own gateway (everything passes) and against the
// independent Python peer that behaves like the reference daemon (every required case passes;
// the stricter advisory ones fail, as the reference would); --serve with our endpoint and with
// the Python sender connecting; and the CLI as a child process (exit codes, --json, text).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConformanceReport } from '../../src/conformance/conformance-report.js';
import { startConformanceServer, type ConformanceServer } from '../../src/conformance/conformance-server.js';
import { loadSessionScripts } from '../../src/conformance/session-script.js';
import { runToqConformance } from '../../src/conformance/toq-conformance.js';
import { runCli } from '../../src/cli/run-cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';
import { startMuteReceiver, type MuteReceiver } from '../helpers/mute-receiver.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { parseSessionScripts } from '../../src/conformance/session-script.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const PEER = join(ROOT, 'test', 'crosscheck', 'reference_peer.py');
const CASE_IDS = loadSessionScripts().cases.map((c) => c.id);
/** The cases the reference fails by design (it has no replay, from or forward-compat checks, §21 item 5). */
const REFERENCE_ADVISORY_FAILURES = ['foreign-from-refused', 'replay-sequence-refused', 'unknown-type-ignored'];

const probe = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
const hasPython = probe.status === 0;
if (!hasPython) {
  console.log(`conformance tests against the python reference peer skipped: \`python3 -c "import cryptography"\` failed (${probe.error?.message ?? String(probe.stderr).trim()})`);
}

const gateways: TestGateway[] = [];
const servers: ConformanceServer[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];
const mutes: MuteReceiver[] = [];

afterEach(async () => {
  await Promise.all(mutes.splice(0).map((m) => m.close()));
  for (const c of children.splice(0)) {
    c.stdin?.end();
    c.kill('SIGKILL');
  }
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function gateway(name: string, options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  const g = await startTestGateway(name, options);
  gateways.push(g);
  return g;
}

async function server(options: Parameters<typeof startConformanceServer>[0] = {}): Promise<ConformanceServer> {
  const s = await startConformanceServer({ idleMs: 5_000, ...options });
  servers.push(s);
  return s;
}

/** The Python peer in `serve` mode (a reference receiver in open mode); resolves with its port. */
async function pythonReceiver(name: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'toq-conf-py-'));
  dirs.push(dir);
  const portFile = join(dir, 'port');
  const child = spawn('python3', [PEER, 'serve', '--port-file', portFile, '--name', name], { stdio: ['pipe', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`python receiver did not start: ${stderr}`);
    await delay(25);
  }
  return Number(readFileSync(portFile, 'utf8'));
}

/** The Python peer in `send` mode (reference API single send, wait for the ack); resolves with its exit code. */
function pythonSend(port: number, targetAgent: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn('python3', [PEER, 'send', '--port', String(port), '--target-agent', targetAgent, '--address', 'toq://127.0.0.1:9111/pyname', '--text', 'conformance hello', '--wait'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `toq` executable as a child process; `onStderr` sees stderr as it arrives. */
function toq(args: string[], onStderr?: (text: string) => void): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, TOQ_CONFIG_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    onStderr?.(stderr);
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function failedIds(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.status !== 'pass').map((r) => r.id).sort();
}

describe('toq conformance --toq (runner in process)', () => {
  it('our gateway passes every case of the fixture, required and advisory, well within 2 minutes', async () => {
    const bob = await gateway('bob');
    const report = await runToqConformance({ address: `toq://127.0.0.1:${bob.port}/bob` });
    expect(report.results.map((r) => r.id)).toEqual(CASE_IDS);
    expect(report.results.filter((r) => r.status !== 'pass'), JSON.stringify(report, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.ms).toBeLessThan(20_000);
    // Duplicates are acked again but delivered once (only observable here, on the receiving side).
    const texts = bob.inbox.map((e) => (e.body as { text?: string } | undefined)?.text);
    expect(texts.filter((t) => t === 'conformance: duplicate')).toHaveLength(1);
    expect(texts).not.toContain('conformance: replay 2');
    expect(texts).not.toContain('conformance: bad signature');
  });

  it('a receiver that holds us for approval fails the required cases, and each failure says why', async () => {
    const bob = await gateway('bob', { connectionMode: 'approval' });
    const report = await runToqConformance({ address: `toq://127.0.0.1:${bob.port}/bob`, only: ['send-ack', 'setup-wrong-target-agent'] });
    expect(report.ok).toBe(false);
    const sendAck = report.results.find((r) => r.id === 'send-ack')!;
    expect(sendAck).toMatchObject({ status: 'fail', required: true, expected: 'connection setup to end with established' });
    expect(sendAck.got).toMatch(/^pending: .*approve the client's key/);
    // The wrong-agent answer comes before any policy decision (§4.3 step 5, §4.4).
    expect(report.results.find((r) => r.id === 'setup-wrong-target-agent')!.status).toBe('pass');
  });

  it('the total deadline stops the run: cases not finished fail or are skipped, and the run does not conform', async () => {
    const bob = await gateway('bob');
    const report = await runToqConformance({ address: `toq://127.0.0.1:${bob.port}/bob`, only: ['ignored-types-no-reply', 'unknown-type-ignored'], totalMs: 250 });
    expect(report.ok).toBe(false);
    expect(report.results.find((r) => r.id === 'ignored-types-no-reply')).toMatchObject({ status: 'fail' });
    expect(report.results.find((r) => r.id === 'unknown-type-ignored')).toMatchObject({ status: 'skip' });
    expect(report.ms).toBeLessThan(2_000);
  });

  it('a receiver that goes silent after setup fails the required session cases, each with what it waited for', async () => {
    const mute = await startMuteReceiver('bob');
    mutes.push(mute);
    // The same scripts with 300 ms step deadlines, so silence is detected quickly.
    const quick = parseSessionScripts(JSON.parse(JSON.stringify(loadSessionScripts()).replace(/"within_ms":\d+/g, '"within_ms":300')));
    const report = await runToqConformance({ address: mute.address, scripts: quick, only: ['setup-established', 'send-ack', 'heartbeat', 'oversize-frame-closed', 'disconnect'] });
    expect(report.ok).toBe(false);
    const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
    expect(byId['setup-established']!.status).toBe('pass');
    expect(byId['send-ack']).toMatchObject({ status: 'fail', step: 1, got: 'nothing within 300 ms' });
    expect(byId['send-ack']!.expected).toMatch(/^message\.ack with body\.ack_id = "[0-9a-f-]{36}", from = "toq:\/\/127\.0\.0\.1:\d+\/bob", to = \["toq:\/\/127\.0\.0\.1:9\/toq-conformance"\], thread_id absent within 300 ms$/);
    expect(byId['heartbeat']).toMatchObject({ status: 'fail', got: 'nothing within 300 ms' });
    expect(byId['oversize-frame-closed']).toMatchObject({ status: 'fail', got: 'still open after 300 ms' });
    expect(byId['disconnect']).toMatchObject({ status: 'fail', got: 'still open after 300 ms' });
  });

  it('a receiver that answers messages with system.error instead of an ack fails send-ack with what came back', async () => {
    const bob = await gateway('bob', {
      onMessage: () => {
        throw new ProtocolError('agent_unavailable', 'local agent is not responding');
      },
    });
    const report = await runToqConformance({ address: `toq://127.0.0.1:${bob.port}/bob`, only: ['send-ack', 'heartbeat'] });
    expect(report.ok).toBe(false);
    const sendAck = report.results.find((r) => r.id === 'send-ack')!;
    expect(sendAck).toMatchObject({ status: 'fail', step: 1 });
    expect(sendAck.got).toMatch(/^system\.error \{"code":"agent_unavailable"/);
    expect(report.results.find((r) => r.id === 'heartbeat')!.status).toBe('pass');
  });

  it('an unreachable endpoint fails every case with the connection error', async () => {
    const s = await server();
    const port = s.port;
    await s.close();
    servers.length = 0;
    const report = await runToqConformance({ address: `toq://127.0.0.1:${port}/bob`, only: ['send-ack'] });
    expect(report.results[0]).toMatchObject({ status: 'fail', expected: `a TLS connection to 127.0.0.1:${port}` });
    expect(report.results[0]!.got).toMatch(/ECONNREFUSED/);
  });
});

describe('toq conformance --serve (server in process)', () => {
  it('our endpoint connecting and sending passes every check', async () => {
    const s = await server();
    const alice = await gateway('alice');
    const outcome = await alice.send(s.address, { type: 'message.send', body: { text: 'hi' }, thread_id: 'conf-t1', content_type: 'application/json' });
    expect(outcome.status).toBe('acked');
    await alice.close();
    gateways.length = 0;
    const [report] = await s.waitForReports(1, AbortSignal.timeout(10_000));
    expect(report, 'no report').toBeDefined();
    expect(report!.results.filter((r) => r.status !== 'pass'), JSON.stringify(report, null, 2)).toEqual([]);
    expect(report!.info).toMatchObject({ connection: 1, peer_address: alice.addressOf() });
  });
});

describe.skipIf(!hasPython)('against the python reference-behaviour peer', () => {
  it('--toq: every required case passes; exactly the stricter advisory cases fail', async () => {
    const port = await pythonReceiver('pyref');
    const report = await runToqConformance({ address: `toq://127.0.0.1:${port}/pyref` });
    expect(report.results.filter((r) => r.required && r.status !== 'pass'), JSON.stringify(report, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(failedIds(report)).toEqual(REFERENCE_ADVISORY_FAILURES);
    const replay = report.results.find((r) => r.id === 'replay-sequence-refused')!;
    expect(replay).toMatchObject({ required: false, step: 3 });
    expect(replay.got).toMatch(/^message\.ack /);
  });

  it('--serve: the python sender (reference API single send) passes every check', async () => {
    const s = await server();
    const sent = await pythonSend(s.port, 'conformance');
    expect(sent.code, sent.stdout).toBe(0);
    const [report] = await s.waitForReports(1, AbortSignal.timeout(10_000));
    expect(report!.results.filter((r) => r.status !== 'pass'), JSON.stringify(report, null, 2)).toEqual([]);
  });
});

describe('the toq conformance command', () => {
  it('--toq against our gateway: exit 0 and a JSON report with every case passing', async () => {
    const bob = await gateway('bob');
    const run = await toq(['conformance', '--toq', `toq://127.0.0.1:${bob.port}/bob`, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ConformanceReport;
    expect(report).toMatchObject({ mode: 'toq', ok: true, summary: { total: CASE_IDS.length, failed: 0 } });
    expect(report.results.map((r) => r.id)).toEqual(CASE_IDS);
  });

  it('a failing run exits 1 and names the fixture id, what was expected and what came back', async () => {
    const bob = await gateway('bob', { connectionMode: 'approval' });
    const run = await toq(['conformance', '--toq', `toq://127.0.0.1:${bob.port}/bob`, '--only', 'heartbeat']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL required heartbeat \d+ms: expected connection setup to end with established; got pending: /m);
    expect(run.stdout).toMatch(/NOT CONFORMING: 1 required case\(s\) failed/);
  });

  it.skipIf(!hasPython)('--toq against the python reference peer: exit 0, advisory failures reported as advisory', async () => {
    const port = await pythonReceiver('pyref');
    const run = await toq(['conformance', '--toq', `toq://127.0.0.1:${port}/pyref`]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const id of REFERENCE_ADVISORY_FAILURES) expect(run.stdout).toMatch(new RegExp(`^FAIL advisory ${id} `, 'm'));
    expect(run.stdout).toMatch(/^PASS required send-ack /m);
    expect(run.stdout).toMatch(/^OK: every required case passed \(15 passed, 3 failed \[3 advisory\]/m);
  });

  it.skipIf(!hasPython)('--serve with the python sender connecting: exit 0, JSON per connection', async () => {
    let started = false;
    let sender: Promise<{ code: number | null; stdout: string }> | undefined;
    const run = await toq(['conformance', '--serve', '--json', '--connections', '1', '--timeout', '30'], (stderr) => {
      const m = /listening on toq:\/\/127\.0\.0\.1:(\d+)\/conformance/.exec(stderr);
      if (m && !started) {
        started = true;
        sender = pythonSend(Number(m[1]), 'conformance');
      }
    });
    expect(started, run.stderr).toBe(true);
    expect((await sender!).code).toBe(0);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { ok: boolean; connections: ConformanceReport[] };
    expect(doc.ok).toBe(true);
    expect(doc.connections).toHaveLength(1);
    expect(doc.connections[0]!.results.every((r) => r.status === 'pass')).toBe(true);
  });

  it('bad command lines exit 2', async () => {
    const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: ROOT });
    expect(await runCli(['conformance'], io())).toBe(2);
    expect(await runCli(['conformance', '--toq', 'http://x/y'], io())).toBe(2);
    expect(await runCli(['conformance', '--toq', 'toq://127.0.0.1:1/x', '--only', 'no-such-case'], io())).toBe(2);
    expect(await runCli(['conformance', '--toq', 'toq://127.0.0.1:1/x', '--serve'], io())).toBe(2);
    expect(await runCli(['conformance', '--serve', '--only', 'send-ack'], io())).toBe(2);
    expect(await runCli(['conformance', '--toq', 'toq://127.0.0.1:1/x', '--timeout', '0'], io())).toBe(2);
  });
});
