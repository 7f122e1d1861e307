// Messages (local-API spec §10): send, messages (history) and our outbox commands. With a
// running daemon everything goes through the local API; `send` without one makes a direct
// connection by running the daemon entry's one-shot `send` (the reference also sends directly).

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tryParseAddress } from '../../protocol/address.js';
import type { IncomingMessageJson, SingleSendResult } from '../../local-api/local-api-deps.js';
import type { CliContext } from '../cli-context.js';
import type { Command } from '../command.js';
import { daemonCommand } from '../daemon-entry.js';
import { ApiRequestError, type ApiClient } from '../api-client.js';
import { CliError, EXIT_NOT_REACHABLE, EXIT_NOT_RUNNING, EXIT_TIMEOUT, UsageError } from '../exit-codes.js';
import { bodyText, columns } from '../format.js';
import { integerOption, parseCommand } from '../parse-command.js';
import { findRunningDaemon, requireRunningDaemon } from '../running-daemon.js';
import { help, loadConfigOrFail } from './workspace-commands.js';

/** How long `send` waits for the ack by default (the SDKs' wait=true default, spec §1). */
export const SEND_TIMEOUT_S = 30;
/** Extra time the HTTP request (or the direct-send process) gets beyond the delivery wait. */
const SEND_GRACE_MS = 5_000;
/** The outbox statuses (store/outbox-record.ts; the CLI does not import the store). */
const OUTBOX_STATUSES = ['queued', 'sending', 'delivered', 'failed', 'undeliverable', 'canceled'];

export const sendCommand: Command = {
  name: 'send',
  summary: 'send a text message and wait for the ack',
  usage: 'toq send <address> <message> [--thread-id ID] [--close-thread] [--timeout SECONDS] [--no-wait]',
  async run(input) {
    const { values, positionals, ctx, isHelp } = parseCommand(
      input,
      { 'thread-id': { type: 'string' }, 'close-thread': { type: 'boolean' }, timeout: { type: 'string' }, 'no-wait': { type: 'boolean' } },
      [2, 2],
    );
    if (isHelp) return help(ctx, this);
    const [to, text] = positionals as [string, string];
    const timeoutS = integerOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? SEND_TIMEOUT_S;
    const daemon = findRunningDaemon(ctx.paths);
    if (daemon === undefined) return sendDirect(ctx, to, text, { threadId: values['thread-id'], isClosing: values['close-thread'] === true, timeoutS });
    const isWaiting = values['no-wait'] !== true;
    // Chosen here so that a failed send can be found in the outbox afterwards.
    const threadId = values['thread-id'] ?? randomUUID();
    let result: SingleSendResult;
    try {
      const response = await daemon.api.request('POST', '/v1/messages', {
        query: { wait: isWaiting, timeout: timeoutS },
        body: { to, body: { text }, thread_id: threadId, ...(values['close-thread'] && { close_thread: true }) },
        timeoutMs: timeoutS * 1000 + SEND_GRACE_MS,
      });
      result = response.json as SingleSendResult;
    } catch (err) {
      if (err instanceof ApiRequestError && (err.code === 'not_reachable' || err.code === 'delivery_timeout')) {
        const pending = await pendingOutboxEntry(daemon.api, threadId);
        if (pending !== undefined) {
          // Unlike the reference, the daemon keeps retrying it (DESIGN §7): say so, keep the exit code.
          throw new CliError(err.code, `${err.message} (queued for retry as ${pending}; see \`toq outbox\`)`, err.exitCode, { cause: err });
        }
      }
      throw err;
    }
    if (ctx.isJson) return void ctx.json({ ...result, to });
    ctx.out(`${result.status === 'delivered' ? 'delivered' : 'queued'} to ${to} (id ${result.id}, thread ${result.thread_id})`);
  },
};

/** No daemon: the daemon entry's `send` connects, sends one message, waits for the ack and exits. */
async function sendDirect(ctx: CliContext, to: string, text: string, options: { threadId: string | undefined; isClosing: boolean; timeoutS: number }): Promise<void> {
  if (options.isClosing) throw new CliError('not_running', '--close-thread needs a running daemon (toq up)', EXIT_NOT_RUNNING);
  if (!tryParseAddress(to).ok) throw new CliError('invalid_address', `Invalid toq address: ${to}`);
  const config = loadConfigOrFail(ctx);
  const entry = daemonCommand();
  const args = [...entry.prefix, 'send', to, text, '--config-dir', ctx.configDir, '--name', config.agentName, '--log-level', 'error'];
  if (options.threadId !== undefined) args.push('--thread-id', options.threadId);
  if (!ctx.isJson) ctx.note('toq is not running: sending over a direct connection');
  const child = spawn(entry.command, args, { cwd: ctx.io.cwd, env: { ...ctx.io.env, TOQ_CONFIG_DIR: ctx.configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = setTimeout(() => child.kill('SIGKILL'), options.timeoutS * 1000 + SEND_GRACE_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('error', () => resolve([null, null]));
    child.once('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(deadline);
  if (signal === 'SIGKILL') throw new CliError('delivery_timeout', `no ack from ${to} within ${options.timeoutS} s`, EXIT_TIMEOUT);
  const result = lastJsonLine(stdout);
  if (code === 0 && result?.['status'] === 'delivered') {
    if (ctx.isJson) return void ctx.json({ id: result['id'], status: 'delivered', to: result['to'] ?? to, direct: true });
    ctx.out(`delivered to ${to} (id ${String(result['id'])}, direct connection)`);
    return;
  }
  const reason = typeof result?.['message'] === 'string' ? result['message'] : (stderr.split('\n').find((l) => l.startsWith('error:'))?.slice('error: '.length) ?? stderr.trim()) || `exit code ${code}`;
  const message = /ECONNREFUSED/.test(reason) ? `no agent running at ${to}` : reason;
  throw new CliError('not_reachable', message, EXIT_NOT_REACHABLE);
}

/** The id of a still-queued outbox entry of this thread, if any (best effort). */
async function pendingOutboxEntry(api: ApiClient, threadId: string): Promise<string | undefined> {
  try {
    const { entries } = await api.get<{ entries: Record<string, unknown>[] }>('/v1/outbox', { query: { limit: 50 }, timeoutMs: 3_000 });
    const entry = entries.find((e) => e['thread_id'] === threadId && (e['status'] === 'queued' || e['status'] === 'sending'));
    return typeof entry?.['id'] === 'string' ? entry['id'] : undefined;
  } catch {
    // Only a hint for the error message; the send's own error is what matters.
    return undefined;
  }
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Not ours; keep looking.
    }
  }
  return undefined;
}

export const messagesCommand: Command = {
  name: 'messages',
  summary: 'recent incoming messages (oldest first)',
  usage: 'toq messages [--from TEXT] [--limit 20] [--since RFC3339] [--agent NAME] [--json]',
  async run(input) {
    const { values, ctx, isHelp } = parseCommand(input, { from: { type: 'string' }, limit: { type: 'string' }, since: { type: 'string' }, agent: { type: 'string' } });
    if (isHelp) return help(ctx, this);
    const limit = integerOption('limit', values.limit) ?? 20;
    const daemon = requireRunningDaemon(ctx.paths);
    const { messages } = await daemon.api.get<{ messages: IncomingMessageJson[] }>('/v1/messages/history', { query: { limit, from: values.from, since: values.since, agent: values.agent } });
    if (ctx.isJson) return void ctx.json({ messages });
    if (messages.length === 0) return void ctx.out('no messages');
    for (const m of messages) {
      const suffix = m.type === 'thread.close' ? ' (thread closed)' : '';
      ctx.out(`[${m.timestamp}] ${m.from}: ${bodyText(m.body)}${suffix}`);
    }
  },
};

export const outboxCommand: Command = {
  name: 'outbox',
  summary: 'outgoing messages and their delivery state (retry <id>, cancel <id>)',
  usage: `toq outbox [--status ${OUTBOX_STATUSES.join('|')}] [--limit N] [--json]\ntoq outbox retry <id>\ntoq outbox cancel <id>`,
  async run(input) {
    const { values, positionals, ctx, isHelp } = parseCommand(input, { status: { type: 'string' }, limit: { type: 'string' } }, [0, 2]);
    if (isHelp) return help(ctx, this);
    const [sub, id] = positionals;
    const daemon = requireRunningDaemon(ctx.paths);
    if (sub === undefined) {
      if (values.status !== undefined && !OUTBOX_STATUSES.includes(values.status)) throw new UsageError(`--status must be one of ${OUTBOX_STATUSES.join(', ')}`);
      const limit = integerOption('limit', values.limit);
      const { entries } = await daemon.api.get<{ entries: Record<string, unknown>[] }>('/v1/outbox', { query: { status: values.status, limit } });
      if (ctx.isJson) return void ctx.json({ entries });
      if (entries.length === 0) return void ctx.out('the outbox is empty');
      ctx.out(
        columns([
          ['ID', 'STATUS', 'TRIES', 'TO', 'LAST ERROR'],
          ...entries.map((e) => [String(e['id']), String(e['status']), String(e['attempts']), String(e['to']), lastError(e['last_error'])]),
        ]),
      );
      return;
    }
    if (id === undefined || (sub !== 'retry' && sub !== 'cancel')) throw new UsageError('usage: toq outbox retry <id> | toq outbox cancel <id>');
    const result = sub === 'retry' ? await daemon.api.post(`/v1/outbox/${encodeURIComponent(id)}/retry`) : await daemon.api.delete(`/v1/outbox/${encodeURIComponent(id)}`);
    if (ctx.isJson) return void ctx.json(result);
    ctx.out(sub === 'retry' ? `retrying ${id}` : `canceled ${id}`);
  },
};

function lastError(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const { code, message } = value as Record<string, unknown>;
  return `${String(code)}: ${String(message)}`;
}
