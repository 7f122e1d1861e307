// The daemon's side of the local API (LocalApiDeps): each operation in terms of the store, the
// outbox, the policy, the endpoint, the handlers and the workspace files. Shapes and error texts
// follow the reference (local-API spec §3); where the reference is broken, we do the right thing
// and keep the shape (wait=true answers only on a real ack; the message stays queued on failure).

import { statfsSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { applyConfigPatch } from '../config/config-patch.js';
import { configToJson } from '../config/config-json.js';
import type { Config } from '../config/config-schema.js';
import { ConfigError } from '../config/config-error.js';
import type { Outbox } from '../delivery/outbox.js';
import type { HandlerRunner } from '../handlers/handler-runner.js';
import { parseHandlerSpec, validateHandlerSpec, type HandlerSpec } from '../handlers/handler-spec.js';
import { ApiError } from '../local-api/api-error.js';
import type { IncomingMessageJson, LocalApiDeps, SendRequest, SingleSendResult } from '../local-api/local-api-deps.js';
import { canonicalAddress, parseAddress } from '../protocol/address.js';
import { buildLocalCard } from '../protocol/card.js';
import { dnsTxtName, parseTxtRecord } from '../protocol/dns-txt.js';
import { generateIdentity, type Identity } from '../protocol/ed25519.js';
import { GatewayError } from '../protocol/errors.js';
import { parseJson } from '../protocol/json-parse.js';
import type { JsonObject, JsonValue } from '../protocol/json-value.js';
import type { PolicyEngine } from '../protocol/policy.js';
import { createRotationProof } from '../protocol/rotation-proof.js';
import { formatTimestamp, parseTimestamp } from '../protocol/timestamp.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { OutboxEntry } from '../store/outbox-record.js';
import type { InboundRecord } from '../store/inbox-record.js';
import { isOutboxStatus } from '../store/outbox-record.js';
import { exportBackup, importBackup } from '../workspace/backup-files.js';
import { formatBackupWrapper, BackupError } from '../workspace/backup.js';
import { writeHandlersFileSync } from '../workspace/handlers-file.js';
import { writeIdentitySeed } from '../workspace/identity-files.js';
import { writeFileAtomicSync } from '../workspace/atomic-write.js';
import type { WorkspacePaths } from '../workspace/workspace-paths.js';
import { notReachable, type ApiStreams } from './api-streams.js';
import type { Gateway } from './gateway.js';
import type { MessageBus } from './message-bus.js';

export interface FacadeDeps {
  readonly config: Config;
  readonly configDir: string;
  readonly paths: WorkspacePaths;
  readonly gateway: Gateway;
  readonly store: GatewayStore;
  readonly outbox: Outbox;
  readonly bus: MessageBus;
  readonly policy: PolicyEngine;
  persistPolicy(): void;
  readonly handlers: HandlerRunner;
  /** Group commit: the op runs in the next shared transaction; resolves after it committed. */
  commit<T>(op: () => T): Promise<T>;
  loadHandlers(): HandlerSpec[];
  readonly streams: ApiStreams;
  readonly version: string;
  readonly now: () => number;
  readonly log: Logger;
  identity(): Identity;
  setIdentity(identity: Identity): void;
  requestStop(): void;
  /** The A2A reply channel (present when a2a_enabled): answers replies on A2A threads. */
  readonly a2aReplies?: { deliverReply(request: SendRequest): Promise<SingleSendResult | undefined> };
  /** A2A outbound sends (`to` an http(s) URL, local-API spec §9.4). */
  readonly a2aOutbound?: { send(request: { url: string; body?: JsonValue; threadId?: string; bearer?: string }): Promise<JsonObject> };
}

const DEFAULT_HISTORY_LIMIT = 1000;

export function createLocalApiFacade(d: FacadeDeps): LocalApiDeps {
  let config = d.config;
  const agentName = config.agentName;
  const ownAddress = (): string => d.gateway.addressOf();

  const publishOutgoing = (entry: { id: string; type: string; thread_id: string }, request: SendRequest, to: string): void => {
    // The reference echoes our own sends on the SSE stream, with our address as `from`.
    d.bus.publish({
      id: entry.id,
      type: entry.type,
      from: ownAddress(),
      ...(request.body !== undefined && { body: request.body }),
      thread_id: entry.thread_id,
      ...(request.reply_to !== undefined && { reply_to: request.reply_to }),
      content_type: request.content_type ?? 'application/json',
      timestamp: formatTimestamp(d.now()),
    });
    d.log.debug({ id: entry.id, to }, 'message queued');
  };

  /**
   * Whose records a query reads (DESIGN §3): the local agent by default, else one of the hosted
   * `[agents.*]` agents, whose traffic never mixes into the local agent's history.
   */
  const historyAgent = (agent: string | undefined): string => {
    if (agent === undefined || agent === agentName) return agentName;
    if (config.agents.some((a) => a.name === agent)) return agent;
    throw new ApiError(404, 'not_found', `no agent named "${agent}" on this gateway`);
  };

  const enqueue = (request: SendRequest, to: string, threadId: string) => {
    const type = request.close_thread ? 'thread.close' : 'message.send';
    const result = d.outbox.enqueue({
      agent: agentName,
      to,
      type,
      thread_id: threadId,
      content_type: request.content_type ?? 'application/json',
      ...(request.body !== undefined && { body: request.body }),
      ...(request.reply_to !== undefined && { reply_to: request.reply_to }),
    });
    return { ...result, type, to };
  };

  return {
    messages: {
      replyToA2a: (request) => d.a2aReplies?.deliverReply(request) ?? Promise.resolve(undefined),
      ...(d.a2aOutbound !== undefined && {
        sendA2a: async (request: SendRequest & { to: string }) => {
          try {
            return await d.a2aOutbound!.send({
              url: request.to,
              ...(request.body !== undefined && { body: request.body }),
              ...(request.thread_id !== undefined && { threadId: request.thread_id }),
              ...(request.a2a_auth !== undefined && { bearer: request.a2a_auth }),
            });
          } catch (err) {
            d.log.warn({ err, url: request.to }, 'A2A outbound send failed');
            throw new ApiError(502, 'a2a_send_failed', `A2A send to ${request.to} failed: ${(err as Error).message}`);
          }
        },
      }),
      async sendOne(request, { wait, timeoutMs }) {
        const to = canonicalAddress(request.to);
        // Committed (with other sends of the same moment, one fsync) before we answer.
        const committed = await d.commit(() => enqueue(request, to, request.thread_id ?? randomUUID()));
        publishOutgoing(committed, request, to);
        const queued = { id: committed.id, status: committed.status, thread_id: committed.thread_id, timestamp: committed.timestamp };
        if (!wait) return queued;
        const outcome = await d.outbox.waitForOutcome(queued.id, { timeoutMs, untilFirstFailure: true });
        switch (outcome.status) {
          case 'delivered':
            return { id: queued.id, status: 'delivered', thread_id: queued.thread_id, timestamp: formatTimestamp(d.now()) };
          case 'timeout':
            throw new ApiError(504, 'delivery_timeout', 'No ack received within timeout');
          default:
            // The reference's 502 texts; with us the message stays queued unless it failed for good.
            throw new ApiError(502, 'not_reachable', reachabilityText(outcome.code, outcome.message, to));
        }
      },
      async sendMany(request) {
        const results = await d.commit(() => request.to.map((raw) => {
          try {
            const to = canonicalAddress(raw);
            const queued = enqueue(request, to, request.thread_id ?? randomUUID());
            return { to, id: queued.id, thread_id: queued.thread_id, status: 'queued' as const, type: queued.type };
          } catch (err) {
            return { to: raw, id: '', thread_id: request.thread_id ?? '', status: 'failed' as const, error: (err as Error).message };
          }
        }));
        for (const r of results) if (r.status === 'queued') publishOutgoing({ id: r.id, type: r.type, thread_id: r.thread_id }, request, r.to);
        return { results: results.map(({ type: _type, ...rest }) => rest), timestamp: formatTimestamp(d.now()) };
      },
      history(query) {
        const cap = config.messageHistoryLimit ?? DEFAULT_HISTORY_LIMIT;
        const sinceMs = query.since === undefined ? undefined : parseTimestamp(query.since);
        return d.store
          .history({
            agent: historyAgent(query.agent),
            limit: Math.min(query.limit ?? 50, cap),
            ...(query.from !== undefined && { from: query.from }),
            ...(sinceMs !== undefined && { sinceMs }),
          })
          .map(toIncomingMessageJson);
      },
      thread(threadId, agent) {
        // The reference leaves this unimplemented (always []); we answer from the history we keep.
        const cap = config.messageHistoryLimit ?? DEFAULT_HISTORY_LIMIT;
        return d.store.history({ agent: historyAgent(agent), threadId, limit: cap }).map(toIncomingMessageJson);
      },
      subscribe: (filter, listener) => d.bus.subscribe(filter, listener),
    },
    streams: d.streams,
    outbox: {
      list: (query) =>
        d.outbox
          .list({
            ...(query.status && isOutboxStatus(query.status) && { status: query.status }),
            ...(query.limit !== undefined && { limit: query.limit }),
            ...(query.agent !== undefined && { agent: historyAgent(query.agent) }),
          })
          .map(outboxJson),
      retry: (id) => d.outbox.retry(id) !== undefined,
      cancel: (id) => d.outbox.cancel(id) !== undefined,
    },
    policy: d.policy,
    persistPolicy: d.persistPolicy,
    peers() {
      const connected = new Set(d.gateway.endpoint.inboundSessions().map((s) => s.peer.publicKeyText));
      return d.store.listPeers().map((p) => ({
        public_key: p.publicKey,
        address: p.address,
        status: connected.has(p.publicKey) ? 'connected' : 'seen',
        last_seen: formatTimestamp(p.lastSeenAtMs),
      }));
    },
    async ping(address): Promise<JsonObject> {
      const target = canonicalAddress(address);
      try {
        const session = await d.gateway.endpoint.session(target);
        return { agent_name: session.peer.agentName, address, public_key: session.peer.publicKeyText, reachable: true };
      } catch (err) {
        return { agent_name: parseAddress(target).name, address, public_key: null, reachable: false, error: notReachable(err, `no agent running at ${target}`).message };
      }
    },
    async discover(host) {
      const resolver = new Resolver({ timeout: 2_000, tries: 2 });
      let records: string[][];
      try {
        records = await resolver.resolveTxt(dnsTxtName(host));
      } catch {
        return [];
      }
      return records.flatMap((strings) => {
        const record = parseTxtRecord(strings);
        return record ? [{ address: `toq://${host}/${record.agent}`, public_key: record.key }] : [];
      });
    },
    connections: () =>
      d.gateway.endpoint.inboundSessions().map((s) => ({
        session_id: s.peer.sessionId ?? '',
        peer_address: s.peer.address,
        peer_public_key: s.peer.publicKeyText,
        connected_at: formatTimestamp(s.connectedAt),
        messages_exchanged: s.stats.envelopesReceived + s.stats.envelopesSent,
      })),
    status: () => ({
      status: 'running',
      address: ownAddress(),
      connection_mode: config.connectionModeText,
      active_connections: d.gateway.endpoint.inboundSessions().length,
      messages_in: d.store.getCounter('messages_in'),
      messages_out: d.store.getCounter('messages_out'),
      error_count: 0,
      backpressure_active: false,
      version: d.version,
      public_key: d.identity().publicKeyText,
    }),
    shutdown: () => d.requestStop(),
    logs() {
      const path = d.paths.logFile;
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => logEntry(line));
    },
    clearLogs() {
      if (!existsSync(d.paths.logsDir)) return;
      for (const name of readdirSync(d.paths.logsDir, { withFileTypes: true })) {
        if (name.isFile()) rmSync(join(d.paths.logsDir, name.name), { force: true });
      }
    },
    diagnostics() {
      const checks: JsonObject[] = [
        { name: 'config', status: 'ok' },
        { name: 'identity_key', status: 'ok', detail: d.identity().publicKeyText },
        { name: 'tls_cert', status: existsSync(d.paths.tlsCert) || config.tlsCert !== undefined ? 'ok' : 'fail' },
        { name: 'port', status: 'ok', detail: String(d.gateway.port) },
        diskCheck(d.configDir),
      ];
      return { checks, issues: checks.filter((c) => c['status'] === 'fail').length };
    },
    // The reference asks GitHub; this machine has no such access, so report what we know.
    upgradeCheck: () => ({ current_version: d.version, up_to_date: true }),
    async rotateKeys() {
      const old = d.identity();
      const next = generateIdentity();
      try {
        writeIdentitySeed(d.configDir, next.seed);
      } catch (err) {
        throw new ApiError(500, 'invalid_request', `Failed to write the new key: ${(err as Error).message}`);
      }
      d.setIdentity(next);
      await d.gateway.endpoint.rotateIdentity(agentName, next);
      return { old_public_key: old.publicKeyText, new_public_key: next.publicKeyText, rotation_proof: createRotationProof(old, next.publicKey) };
    },
    async backupExport(passphrase) {
      try {
        return formatBackupWrapper(await exportBackup(d.configDir, passphrase));
      } catch (err) {
        throw asApiError(err, 500);
      }
    },
    async backupImport(passphrase, data) {
      try {
        await importBackup(d.configDir, data, passphrase);
      } catch (err) {
        throw asApiError(err, 400);
      }
    },
    config: () => configToJson(config) as JsonObject,
    patchConfig(patch) {
      const text = existsSync(d.paths.config) ? readFileSync(d.paths.config, 'utf8') : '';
      let result: ReturnType<typeof applyConfigPatch>;
      try {
        // Plain JS values: config keys hold no numbers that need their lexemes.
        result = applyConfigPatch(text, toPlain(patch), { warn: (w) => d.log.warn({ key: w.key }, w.message) });
      } catch (err) {
        if (err instanceof ConfigError) throw new ApiError(400, 'invalid_config', `Invalid config: ${err.message}`);
        throw err;
      }
      writeFileAtomicSync(d.paths.config, result.text);
      config = result.config;
      return result.json as JsonObject;
    },
    card: () => {
      const card = buildLocalCard({
        name: config.agentName,
        publicKeyText: d.identity().publicKeyText,
        connectionMode: config.connectionModeText,
        maxMessageSize: config.maxMessageSize,
        acceptFiles: config.acceptFiles,
        ...(config.acceptFiles && { maxFileSize: config.maxFileSize }),
      });
      return { ...card, capabilities: [...(card.capabilities ?? [])] } as unknown as JsonObject;
    },
    maxMessageSize: () => config.maxMessageSize,
    handlers: {
      list: () => d.handlers.list() as unknown as JsonObject[],
      add(spec) {
        let parsed: HandlerSpec;
        try {
          parsed = parseHandlerSpec(toPlain(spec));
          validateHandlerSpec(parsed);
        } catch (err) {
          throw new ApiError(400, 'invalid_request', (err as Error).message);
        }
        const specs = d.loadHandlers();
        if (specs.some((s) => s.name === parsed.name)) throw new ApiError(409, 'invalid_request', `handler '${parsed.name}' already exists`);
        const next = [...specs, parsed];
        writeHandlersFileSync(d.paths.handlers, next);
        d.handlers.reload(next);
        return { status: 'added', name: parsed.name };
      },
      update(name, patch) {
        const specs = d.loadHandlers();
        const index = specs.findIndex((s) => s.name === name);
        if (index < 0) return undefined;
        const current = specs[index]!;
        // As in the reference, only these fields change through the API.
        const plain = toPlain(patch) as Record<string, unknown>;
        const updated: HandlerSpec = {
          ...current,
          ...(typeof plain['command'] === 'string' && { command: plain['command'] }),
          ...(typeof plain['enabled'] === 'boolean' && { enabled: plain['enabled'] }),
          ...(Array.isArray(plain['filter_from']) && { filter_from: plain['filter_from'].map(String) }),
          ...(Array.isArray(plain['filter_key']) && { filter_key: plain['filter_key'].map(String) }),
          ...(Array.isArray(plain['filter_type']) && { filter_type: plain['filter_type'].map(String) }),
        };
        const next = specs.map((s, i) => (i === index ? updated : s));
        writeHandlersFileSync(d.paths.handlers, next);
        d.handlers.reload(next);
        return { status: 'updated', name };
      },
      remove(name) {
        const specs = d.loadHandlers();
        const next = specs.filter((s) => s.name !== name);
        if (next.length === specs.length) return false;
        writeHandlersFileSync(d.paths.handlers, next);
        d.handlers.reload(next);
        return true;
      },
      reload: () => d.handlers.reload(d.loadHandlers()),
      stop: (name, pid) => d.handlers.stop(name, pid),
    },
  };
}

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One line of logs/toq.log: our JSON log lines, or plain text as the reference splits it. */
function logEntry(line: string): JsonObject {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v === 'object' && v !== null && typeof v['msg'] === 'string') {
      const time = typeof v['time'] === 'number' ? formatTimestamp(v['time']) : '';
      const level = typeof v['level'] === 'number' ? (PINO_LEVELS[v['level']] ?? String(v['level'])) : String(v['level'] ?? '');
      return { timestamp: time, level, message: v['msg'] };
    }
  } catch {
    // Not JSON (output of a handler or a crash trace): split like the reference does.
  }
  const [timestamp = '', level = '', ...rest] = line.split(' ');
  return { timestamp, level: level.toLowerCase(), message: rest.join(' ') };
}

function toIncomingMessageJson(r: InboundRecord): IncomingMessageJson {
  return {
    id: r.id,
    type: r.type,
    from: r.from,
    ...(r.body !== null && { body: parseJson(r.body) }),
    ...(r.thread_id !== null && { thread_id: r.thread_id }),
    ...(r.reply_to !== null && { reply_to: r.reply_to }),
    ...(r.content_type !== null && { content_type: r.content_type }),
    timestamp: formatTimestamp(r.receivedAtMs),
  };
}

/** The reference's texts for a failed delivery (local-API spec §3.1). */
function reachabilityText(code: string, message: string, to: string): string {
  if (code === 'ECONNREFUSED') return `no agent running at ${to}`;
  if (['approval_pending', 'approval_timeout', 'approval_denied', 'agent_unavailable', 'blocked', 'closed'].includes(code)) return message;
  return `Cannot reach target: ${message}`;
}

function outboxJson(e: OutboxEntry): JsonObject {
  return {
    id: e.id,
    agent: e.agent,
    to: e.to,
    type: e.type,
    ...(e.thread_id !== null && { thread_id: e.thread_id }),
    // What was said, so a hosted agent's answers are readable here (DESIGN §3: they have no SSE echo).
    ...(e.reply_to !== null && { reply_to: e.reply_to }),
    ...(e.content_type !== null && { content_type: e.content_type }),
    ...(e.body !== null && { body: parseJson(e.body) }),
    status: e.status,
    attempts: e.attempts,
    created_at: formatTimestamp(e.createdAtMs),
    next_attempt_at: formatTimestamp(e.nextAttemptAtMs),
    expires_at: formatTimestamp(e.expiresAtMs),
    ...(e.lastError !== null && { last_error: { code: e.lastError.code, message: e.lastError.message } }),
    ...(e.deliveredAtMs !== null && { delivered_at: formatTimestamp(e.deliveredAtMs) }),
  };
}

function diskCheck(dir: string): JsonObject {
  try {
    const s = statfsSync(dir);
    const freeMb = Math.floor((Number(s.bavail) * Number(s.bsize)) / (1024 * 1024));
    return { name: 'disk', status: freeMb > 100 ? 'ok' : 'fail', detail: `${freeMb} MB free` };
  } catch (err) {
    return { name: 'disk', status: 'fail', detail: (err as Error).message };
  }
}

function asApiError(err: unknown, fallbackStatus: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BackupError) return new ApiError(400, err.code as 'invalid_request' | 'invalid_passphrase', err.message, { cause: err });
  if (err instanceof GatewayError) return new ApiError(fallbackStatus, 'internal_error', err.message, { cause: err });
  return new ApiError(fallbackStatus, 'internal_error', (err as Error)?.message ?? String(err), { cause: err });
}

/** A lossless JSON value as plain JS values (handler specs have no numbers that need lexemes). */
function toPlain(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
