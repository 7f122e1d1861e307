// Daemon lifecycle and inspection (local-API spec §10): up, down, status, agents, doctor, logs,
// clear-logs, upgrade. `up` starts the daemon entry as a separate process (detached, output to
// logs/toq.log) and waits for its state.json; `down` signals it and waits for it to exit. The
// CLI learns everything else over the local API.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { isIpAddress } from '../../protocol/address.js';
import { dnsTxtName, findAgentRecord } from '../../protocol/dns-txt.js';
import { listRegistrations, readRegistration, removeRegistration, removeStaleRegistrations, writeRegistration } from '../../workspace/agents-registry.js';
import { readLivePid, removePidFile } from '../../workspace/pid-file.js';
import { readStateFile } from '../../workspace/state-file.js';
import { agentsRegistryDir, workspacePaths, type WorkspacePaths } from '../../workspace/workspace-paths.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { daemonCommand, packageVersion } from '../daemon-entry.js';
import { CliError, EXIT_NOT_RUNNING, EXIT_TIMEOUT, notRunningError, UsageError } from '../exit-codes.js';
import { columns, formatLogLine } from '../format.js';
import { integerOption, parseCommand } from '../parse-command.js';
import { isProcessRunning, pollUntil, waitForExit } from '../process-wait.js';
import { findRunningDaemon } from '../running-daemon.js';
import { help, loadConfigOrFail, readPublicKey } from './workspace-commands.js';

/** How long `up` waits for state.json before giving up. */
export const UP_TIMEOUT_MS = 20_000;
/** How long `down` waits for the process to exit after SIGTERM, before SIGKILL. */
export const DOWN_TIMEOUT_MS = 15_000;
/** Lines of logs/toq.log shown when a start fails. */
const FAILURE_LOG_LINES = 15;

export const upCommand: Command = {
  name: 'up',
  summary: 'start the daemon (in the background unless --foreground)',
  usage: 'toq up [--foreground] [--port N] [--name NAME] [--host HOST] [--mode MODE] [--log-level LEVEL] [--timeout SECONDS]',
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, {
      foreground: { type: 'boolean' },
      port: { type: 'string' },
      name: { type: 'string' },
      host: { type: 'string' },
      mode: { type: 'string' },
      'log-level': { type: 'string' },
      timeout: { type: 'string' },
    });
    if (isHelp) return help(ctx, this);
    const running = readLivePid(ctx.paths.pid, isProcessRunning);
    if (running !== undefined) throw new CliError('already_running', `toq is already running (pid ${running})`);
    // Refuse a bad config here, naming the key, rather than in a log file.
    const config = loadConfigOrFail(ctx);
    const port = integerOption('port', values.port, { max: 65_535 });
    const timeoutMs = (integerOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? UP_TIMEOUT_MS / 1000) * 1000;
    const name = values.name ?? config.agentName;
    const entry = daemonCommand();
    const args = [
      ...entry.prefix,
      'up',
      '--config-dir',
      ctx.configDir,
      '--log-level',
      values['log-level'] ?? config.logLevel,
      ...(port !== undefined ? ['--port', String(port)] : []),
      ...(values.name !== undefined ? ['--name', values.name] : []),
      ...(values.host !== undefined ? ['--host', values.host] : []),
      ...(values.mode !== undefined ? ['--mode', values.mode] : []),
    ];
    // The daemon and its handlers see the workspace as TOQ_CONFIG_DIR (spec §6).
    const env = { ...ctx.io.env, TOQ_CONFIG_DIR: ctx.configDir };
    const registryDir = agentsRegistryDir(ctx.io.env);
    removeStaleRegistrations(registryDir, isProcessRunning);

    if (values.foreground) return runForeground(ctx, entry.command, args, env, { name, registryDir, timeoutMs });

    mkdirSync(ctx.paths.logsDir, { recursive: true });
    // Overwritten at each start, as the reference does (spec §6).
    const logFd = openSync(ctx.paths.logFile, 'w');
    let child: ChildProcess;
    try {
      child = spawn(entry.command, args, { cwd: ctx.io.cwd, env, detached: true, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    const exit = watchExit(child);
    const started = await waitForState(ctx.paths, child, exit, timeoutMs);
    if (started === 'exited') {
      throw new CliError('start_failed', `the daemon exited during start-up (${describeExit(exit.value)}):\n${logTail(ctx.paths.logFile)}`);
    }
    if (started === 'timeout') {
      child.kill('SIGTERM');
      throw new CliError('start_timeout', `the daemon did not report ready within ${timeoutMs / 1000} s; see ${ctx.paths.logFile}`, EXIT_TIMEOUT);
    }
    child.unref();
    register(registryDir, name, started, ctx.configDir);
    const result = { pid: started.pid, port: started.port, address: started.address, config_dir: ctx.configDir, log_file: ctx.paths.logFile };
    if (ctx.isJson) return void ctx.json(result);
    ctx.out(`toq is up: ${started.address} (pid ${started.pid}, port ${started.port})`);
    ctx.out(`logs: ${ctx.paths.logFile}`);
  },
};

interface StartedState {
  readonly pid: number;
  readonly port: number;
  readonly address: string;
}

function watchExit(child: ChildProcess): { value: { code: number | null; signal: NodeJS.Signals | null } | undefined } {
  const holder: { value: { code: number | null; signal: NodeJS.Signals | null } | undefined } = { value: undefined };
  child.once('exit', (code, signal) => (holder.value = { code, signal }));
  // A spawn failure (no such program) also ends it.
  child.once('error', () => (holder.value ??= { code: null, signal: null }));
  return holder;
}

/** Waits for state.json to name the child's pid (ready), the child to exit, or the deadline. */
async function waitForState(paths: WorkspacePaths, child: ChildProcess, exit: ReturnType<typeof watchExit>, timeoutMs: number): Promise<StartedState | 'exited' | 'timeout'> {
  const outcome = await pollUntil<StartedState | 'exited'>(() => {
    const state = readStateFile(paths.state);
    if (state?.pid !== undefined && state.pid === child.pid && state.port !== undefined) {
      return { pid: state.pid, port: state.port, address: state.address ?? '' };
    }
    return exit.value !== undefined ? 'exited' : undefined;
  }, timeoutMs);
  return outcome ?? 'timeout';
}

async function runForeground(
  ctx: CliContext,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { name: string; registryDir: string; timeoutMs: number },
): Promise<number> {
  // Its own process group: a terminal's Ctrl-C reaches only us, and we forward it once (a
  // second SIGINT would cut the daemon's clean shutdown short).
  const child = spawn(command, args, { cwd: ctx.io.cwd, env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  const onHup = forward('SIGHUP');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  const exit = watchExit(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const started = await waitForState(ctx.paths, child, exit, options.timeoutMs);
    if (typeof started === 'object') register(options.registryDir, options.name, started, ctx.configDir);
    else if (started === 'timeout') ctx.note(`warning: no state.json after ${options.timeoutMs / 1000} s; still waiting for the daemon`);
    await exited;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
    removeOwnRegistration(options.registryDir, options.name, child.pid);
  }
  const result = exit.value;
  if (result === undefined) return 1;
  if (result.code !== null) return result.code;
  // Stopped by a signal we forwarded: a normal stop.
  return result.signal === 'SIGINT' || result.signal === 'SIGTERM' ? 0 : 1;
}

function register(registryDir: string, name: string, state: StartedState, configDir: string): void {
  try {
    writeRegistration(registryDir, { name, port: state.port, pid: state.pid, configDir, startedAt: Math.floor(Date.now() / 1000) });
  } catch {
    // The registry is a convenience (toq agents, down --name); a read-only $HOME must not fail `up`.
  }
}

function removeOwnRegistration(registryDir: string, name: string, pid: number | undefined): void {
  try {
    const entry = readRegistration(registryDir, name);
    if (entry !== undefined && entry.pid === pid) removeRegistration(registryDir, name);
  } catch {
    // See register(): best effort.
  }
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null } | undefined): string {
  if (exit === undefined) return 'unknown status';
  return exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? 'unknown'}`;
}

/** The end of the log, preferring the daemon's `error:` line. */
function logTail(path: string): string {
  if (!existsSync(path)) return '(no log)';
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const errorLine = lines.find((l) => l.startsWith('error:'));
  if (errorLine !== undefined) return errorLine;
  return lines.slice(-FAILURE_LOG_LINES).map(formatLogLine).join('\n');
}

export const downCommand: Command = {
  name: 'down',
  summary: 'stop the daemon',
  usage: 'toq down [--graceful] [--name AGENT] [--timeout SECONDS]',
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, { graceful: { type: 'boolean' }, name: { type: 'string' }, timeout: { type: 'string' } });
    if (isHelp) return help(ctx, this);
    const timeoutMs = (integerOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? DOWN_TIMEOUT_MS / 1000) * 1000;
    const registryDir = agentsRegistryDir(ctx.io.env);
    let paths = ctx.paths;
    let pid: number | undefined;
    let name: string | undefined = values.name;
    if (values.name !== undefined) {
      let entry;
      try {
        entry = readRegistration(registryDir, values.name);
      } catch {
        throw new UsageError(`invalid agent name "${values.name}"`);
      }
      if (entry === undefined || !isProcessRunning(entry.pid)) {
        if (entry !== undefined) removeRegistration(registryDir, values.name);
        throw new CliError('not_running', `no running agent named "${values.name}"`, EXIT_NOT_RUNNING);
      }
      pid = entry.pid;
      if (entry.configDir !== '') paths = workspacePaths(entry.configDir);
    } else {
      pid = readLivePid(paths.pid, isProcessRunning);
      if (pid === undefined) throw notRunningError();
      name = registeredNameOf(registryDir, pid);
    }
    // SIGTERM is already a graceful stop (in-flight work is finished or kept in the outbox);
    // --graceful is accepted for the reference's sake and changes nothing, as there.
    process.kill(pid, 'SIGTERM');
    let isForced = false;
    if (!(await waitForExit(pid, timeoutMs))) {
      isForced = true;
      process.kill(pid, 'SIGKILL');
      await waitForExit(pid, 2_000);
    }
    // A clean stop removed these already; after a SIGKILL they are stale.
    removePidFile(paths.pid);
    rmSync(paths.state, { force: true });
    if (name !== undefined) removeOwnRegistration(registryDir, name, pid);
    if (ctx.isJson) return void ctx.json({ stopped: true, pid, forced: isForced });
    ctx.out(isForced ? `toq did not stop within ${timeoutMs / 1000} s and was killed (pid ${pid})` : `toq stopped (pid ${pid})`);
  },
};

function registeredNameOf(registryDir: string, pid: number): string | undefined {
  return listRegistrations(registryDir).find((entry) => entry.pid === pid)?.name;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'is the daemon running; address, mode, connections, counters',
  usage: 'toq status [--json]   (exit code 3 when not running)',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const daemon = findRunningDaemon(ctx.paths);
    if (daemon === undefined) {
      if (ctx.isJson) ctx.json({ status: 'stopped' });
      else ctx.out('toq is not running');
      return EXIT_NOT_RUNNING;
    }
    let live: Record<string, unknown> | undefined;
    try {
      live = await daemon.api.get('/v1/status', { timeoutMs: 3_000 });
    } catch {
      // The process is there but its API does not answer (starting, or stuck): show state.json.
      live = undefined;
    }
    const state = readStateFile(ctx.paths.state);
    const info: Record<string, unknown> = live
      ? { ...live, pid: daemon.pid, port: daemon.port }
      : { status: 'running', address: state?.address ?? null, connection_mode: state?.connectionMode ?? null, pid: daemon.pid, port: daemon.port, api: 'not answering' };
    if (ctx.isJson) return void ctx.json(info);
    ctx.out(`toq is running${live ? '' : ' (its local API is not answering)'}`);
    const rows: string[][] = [
      ['address:', String(info['address'] ?? '?')],
      ['mode:', String(info['connection_mode'] ?? '?')],
    ];
    if (live) {
      rows.push(['connections:', String(info['active_connections'])]);
      rows.push(['messages:', `${String(info['messages_in'])} in, ${String(info['messages_out'])} out`]);
      rows.push(['key:', String(info['public_key'])]);
      rows.push(['version:', String(info['version'])]);
    }
    rows.push(['pid:', String(daemon.pid)], ['port:', String(daemon.port)]);
    ctx.out(indent(columns(rows)));
  },
};

export const agentsCommand: Command = {
  name: 'agents',
  summary: 'list the agents running on this machine (~/.toq/agents)',
  usage: 'toq agents [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const registryDir = agentsRegistryDir(ctx.io.env);
    removeStaleRegistrations(registryDir, isProcessRunning);
    const agents = listRegistrations(registryDir).map((e) => ({ name: e.name, port: e.port, pid: e.pid, config_dir: e.configDir, started_at: new Date(e.startedAt * 1000).toISOString() }));
    if (ctx.isJson) return void ctx.json({ agents });
    if (agents.length === 0) return void ctx.out('no agents running');
    ctx.out(columns([['NAME', 'PORT', 'PID', 'CONFIG DIR'], ...agents.map((a) => [a.name, String(a.port), String(a.pid), a.config_dir])]));
  },
};

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the workspace: config, keys, port, DNS, disk',
  usage: 'toq doctor [--json]   (exit code 1 when a check fails)',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const checks: { name: string; status: 'ok' | 'warn' | 'fail'; detail?: string }[] = [];
    checks.push(existsSync(ctx.paths.config) ? { name: 'setup', status: 'ok', detail: ctx.configDir } : { name: 'setup', status: 'warn', detail: `no config.toml in ${ctx.configDir} (run toq init or toq setup)` });
    let config: ReturnType<typeof loadConfigOrFail> | undefined;
    try {
      config = loadConfigOrFail(ctx);
      checks.push({ name: 'config', status: 'ok' });
    } catch (err) {
      checks.push({ name: 'config', status: 'fail', detail: (err as Error).message });
    }
    let key: string | undefined;
    try {
      key = readPublicKey(ctx);
      checks.push(key ? { name: 'identity_key', status: 'ok', detail: key } : { name: 'identity_key', status: 'warn', detail: 'none yet (created by the first toq up)' });
    } catch (err) {
      checks.push({ name: 'identity_key', status: 'fail', detail: (err as Error).message });
    }
    checks.push(existsSync(ctx.paths.tlsCert) && existsSync(ctx.paths.tlsKey) ? { name: 'tls_cert', status: 'ok' } : { name: 'tls_cert', status: 'warn', detail: 'none yet (created by the first toq up)' });
    const daemon = findRunningDaemon(ctx.paths);
    if (daemon !== undefined) {
      try {
        await daemon.api.request('GET', '/v1/health', { timeoutMs: 3_000 });
        checks.push({ name: 'daemon', status: 'ok', detail: `running (pid ${daemon.pid}, port ${daemon.port})` });
      } catch (err) {
        checks.push({ name: 'daemon', status: 'fail', detail: `pid ${daemon.pid} is running but its local API does not answer: ${(err as Error).message}` });
      }
    } else {
      checks.push({ name: 'daemon', status: 'warn', detail: 'not running' });
      if (config !== undefined && config.port !== 0) checks.push(await portCheck(config.port));
    }
    if (config !== undefined && config.host !== 'localhost' && config.host !== 'auto' && !isIpAddress(config.host)) {
      checks.push(await dnsCheck(config.host, config.agentName, key, daemon?.port ?? config.port));
    }
    checks.push(diskCheck(ctx.configDir));
    const issues = checks.filter((c) => c.status === 'fail').length;
    if (ctx.isJson) ctx.json({ checks, issues });
    else {
      ctx.out(columns(checks.map((c) => [c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'warn' : 'FAIL', c.name, c.detail ?? ''])));
      ctx.out(issues === 0 ? '\nno problems found' : `\n${issues} problem${issues === 1 ? '' : 's'} found`);
    }
    return issues === 0 ? 0 : 1;
  },
};

async function portCheck(port: number): Promise<{ name: string; status: 'ok' | 'fail'; detail: string }> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve({ name: 'port', status: 'fail', detail: `port ${port} cannot be bound: ${err.code ?? err.message}` }));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve({ name: 'port', status: 'ok', detail: `port ${port} is free` })));
  });
}

async function dnsCheck(host: string, agent: string, key: string | undefined, port: number): Promise<{ name: string; status: 'ok' | 'warn' | 'fail'; detail: string }> {
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  let records: string[][];
  try {
    records = await resolver.resolveTxt(dnsTxtName(host));
  } catch (err) {
    return { name: 'dns', status: 'warn', detail: `no TXT record at ${dnsTxtName(host)} (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})` };
  }
  const record = findAgentRecord(records, agent);
  if (record === undefined) return { name: 'dns', status: 'warn', detail: `no record for agent "${agent}" at ${dnsTxtName(host)}` };
  const keyText = key?.replace(/^ed25519:/, '');
  if (keyText !== undefined && record.key !== keyText) return { name: 'dns', status: 'fail', detail: 'the DNS record names another key' };
  if (record.port !== port) return { name: 'dns', status: 'fail', detail: `the DNS record says port ${record.port}, this agent uses ${port}` };
  return { name: 'dns', status: 'ok', detail: `${dnsTxtName(host)} matches` };
}

function diskCheck(dir: string): { name: string; status: 'ok' | 'fail'; detail: string } {
  try {
    const target = existsSync(dir) ? dir : join(dir, '..');
    const s = statfsSync(target);
    const freeMb = Math.floor((Number(s.bavail) * Number(s.bsize)) / (1024 * 1024));
    return { name: 'disk', status: freeMb > 100 ? 'ok' : 'fail', detail: `${freeMb} MB free` };
  } catch (err) {
    return { name: 'disk', status: 'fail', detail: (err as Error).message };
  }
}

export const logsCommand: Command = {
  name: 'logs',
  summary: 'print (or --follow) the daemon log, logs/toq.log',
  usage: 'toq logs [--follow] [--lines N] [--raw]',
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' }, raw: { type: 'boolean' } });
    if (isHelp) return help(ctx, this);
    const limit = integerOption('lines', values.lines);
    const render = (line: string): string => (values.raw ? line : formatLogLine(line));
    const path = ctx.paths.logFile;
    if (!existsSync(path) && !values.follow) {
      ctx.note(`no log yet (${path} is written by \`toq up\`)`);
      return;
    }
    let offset = 0;
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      offset = Buffer.byteLength(text);
      const lines = text.split('\n').filter((l) => l !== '');
      for (const line of limit === undefined ? lines : lines.slice(-limit)) ctx.out(render(line));
    }
    if (!values.follow) return;
    await followFile(path, offset, (line) => ctx.out(render(line)));
  },
};

/** Prints lines appended to `path` until SIGINT/SIGTERM; a truncated file is read from the start. */
async function followFile(path: string, start: number, onLine: (line: string) => void): Promise<void> {
  let offset = start;
  let partial = '';
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size < offset) offset = 0;
      if (size > offset) {
        const handle = await open(path, 'r');
        try {
          const buffer = Buffer.alloc(size - offset);
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          offset += bytesRead;
          const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line !== '') onLine(line);
        } finally {
          await handle.close();
        }
      }
      await pollUntil(() => (stop.signal.aborted ? true : undefined), 250, stop.signal);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const clearLogsCommand: Command = {
  name: 'clear-logs',
  summary: 'delete everything under logs/ and messages.jsonl',
  usage: 'toq clear-logs',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    let count = 0;
    if (existsSync(ctx.paths.logsDir)) {
      for (const entry of readdirSync(ctx.paths.logsDir)) {
        rmSync(join(ctx.paths.logsDir, entry), { recursive: true, force: true });
        count++;
      }
    }
    if (existsSync(ctx.paths.messages)) {
      rmSync(ctx.paths.messages, { force: true });
      count++;
    }
    if (ctx.isJson) return void ctx.json({ removed: count });
    ctx.out(count === 0 ? 'nothing to clear' : `cleared ${count} log ${count === 1 ? 'entry' : 'entries'} in ${ctx.paths.logsDir}`);
  },
};

export const upgradeCommand: Command = {
  name: 'upgrade',
  summary: 'print the installed version (no network access)',
  usage: 'toq upgrade [--json]',
  async run(input) {
    const { ctx, isHelp } = parseCommand(input, {});
    if (isHelp) return help(ctx, this);
    const version = packageVersion();
    if (ctx.isJson) return void ctx.json({ current_version: version, checked: false });
    ctx.out(`toq-gateway ${version}`);
    ctx.out('This command does not go online; to upgrade, install a newer toq-gateway with your package manager (npm install -g toq-gateway).');
  },
};

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
