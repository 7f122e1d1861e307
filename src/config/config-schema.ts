// The config.toml schema: every key the reference reads (local-API spec §7, toq-core config.rs)
// plus the gateway's own keys (DESIGN §3, §4, §7, §8), with type, default, accepted range and
// whether a running daemon applies a PATCH /v1/config change without restart. Also the frozen
// `Config` object that loadConfig() builds. Data only: no parsing, no I/O.

import type { ConnectionMode } from '../protocol/policy.js';
import * as D from './config-defaults.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['error', 'warn', 'info', 'debug']);

/** What a reply without `a2a.state` makes of its A2A task (DESIGN §5.2 `reply_state`), v0.3 spelling. */
export type A2aReplyState = 'completed' | 'input-required';
export const A2A_REPLY_STATES: readonly A2aReplyState[] = Object.freeze(['completed', 'input-required']);
/** Bounds of `a2a_blocking_timeout` and an agent table's `blocking_timeout`, in seconds. */
export const A2A_BLOCKING_TIMEOUT_MIN_S = 1n;
export const A2A_BLOCKING_TIMEOUT_MAX_S = 3600n;

/** An A2A agent exposed as a toq agent: `[agents.<name>]` with `a2a = "http(s)://..."` (DESIGN §3). */
export interface A2aUpstreamConfig {
  readonly kind: 'a2a';
  readonly name: string;
  /** Base URL of the upstream A2A agent (its card is at `<a2a>/.well-known/agent-card.json`). */
  readonly a2a: string;
  /** Literal `Authorization` header value sent upstream, e.g. `Bearer abc`. */
  readonly auth?: string;
  /** Name of an environment variable holding the `Authorization` header value. */
  readonly authEnv?: string;
}

/** A remote toq agent exposed to A2A clients: `[agents.<name>]` with `toq = "toq://..."`. */
export interface ToqUpstreamConfig {
  readonly kind: 'toq';
  readonly name: string;
  readonly toq: string;
  /** `reply_state`: overrides a2a_reply_state for this agent; absent when the table does not set it. */
  readonly replyState?: A2aReplyState;
  /** `blocking_timeout` in seconds: overrides a2a_blocking_timeout for this agent; absent when unset. */
  readonly blockingTimeout?: number;
}

export type AgentConfig = A2aUpstreamConfig | ToqUpstreamConfig;

/**
 * The validated configuration. Property names are the keys in camelCase; durations are in the
 * unit the key uses in the file (seconds or days, see CONFIG_KEYS). Optional keys are absent
 * when unset. `connectionModeText`/`logLevelText` keep the text as written, which the reference
 * reports in `/v1/status`, `/v1/card` and `/v1/config` even when it fell back to a default.
 */
export interface Config {
  readonly agentName: string;
  readonly host: string;
  readonly port: number;
  /** The policy mode in force (unknown text falls back to approval, like the reference). */
  readonly connectionMode: ConnectionMode;
  readonly connectionModeText: string;
  readonly verbosity: string;
  /** The log level in force (unknown text falls back to warn, like the reference). */
  readonly logLevel: LogLevel;
  readonly logLevelText: string;
  readonly acceptFiles: boolean;
  readonly maxFileSize: number;
  readonly maxMessageSize: number;
  readonly maxConnections: number;
  readonly maxThreadsPerConnection: number;
  readonly maxMessageQueue: number;
  readonly maxPendingApprovals: number;
  readonly handshakeTimeout: number;
  readonly negotiationTimeout: number;
  readonly ackTimeout: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly sessionResumeTimeout: number;
  readonly gracefulShutdownTimeout: number;
  readonly logRetentionDays: number;
  readonly logMaxSizeMb: number;
  readonly threadCleanupDays: number;
  readonly mdnsEnabled: boolean;
  readonly a2aEnabled: boolean;
  readonly a2aApiKey?: string;
  readonly a2aPublicUrl?: string;
  readonly adapter: string;
  /** Unset means DEFAULT_MESSAGE_HISTORY_LIMIT (1000). */
  readonly messageHistoryLimit?: number;
  readonly adapterHttp?: { readonly callbackUrl: string };
  readonly adapterGrpc?: { readonly address: string };
  readonly adapterUnix?: { readonly socketPath: string };
  // Gateway keys.
  readonly outboxTtl: number;
  readonly historyRetentionDays: number;
  readonly a2aDefaultAgent?: string;
  readonly a2aPrincipalIdentities: boolean;
  readonly a2aWebhookAllowPrivate: boolean;
  /** Default `reply_state` of the local agent and the toq-upstream agents. */
  readonly a2aReplyState: A2aReplyState;
  /** Seconds a blocking SendMessage waits before answering with the working task (every A2A agent here). */
  readonly a2aBlockingTimeout: number;
  /** JWT auth of A2A callers is on when issuer and JWKS URL are set (load-config.ts checks the set). */
  readonly a2aJwtIssuer?: string;
  readonly a2aJwtAudience?: string;
  readonly a2aJwtJwksUrl?: string;
  /** Unset means the JWT layer's default (every asymmetric algorithm, A2A_JWT_ALGORITHM_VALUES minus Ed25519). */
  readonly a2aJwtAlgorithms?: readonly string[];
  /** Path of a real certificate (PEM) for HTTPS A2A clients; relative to the config dir. */
  readonly tlsCert?: string;
  /** Path of its private key (PEM); relative to the config dir. */
  readonly tlsKey?: string;
  /** `[agents.<name>]` tables in file order. */
  readonly agents: readonly AgentConfig[];
}

export type ScalarKeyType = 'string' | 'boolean' | 'integer';

interface KeySpecBase {
  /** The TOML key (snake_case). */
  readonly key: string;
  /** The Config property it fills. */
  readonly property: keyof Config;
  /** True when a running daemon applies a PATCH /v1/config change without restart. */
  readonly isLive: boolean;
  readonly origin: 'reference' | 'gateway';
  /** What the key does (and, for live keys, what exactly reacts). */
  readonly use: string;
}

export interface StringKeySpec extends KeySpecBase {
  readonly type: 'string';
  /** Absent: the key is optional and unset by default. */
  readonly default?: string;
  /**
   * Known values; any other string is tolerated with a warning and `fallback` is used (the
   * reference's keys), or refused when there is no `fallback` (the gateway's own keys).
   */
  readonly values?: readonly string[];
  readonly fallback?: string;
}

export interface BooleanKeySpec extends KeySpecBase {
  readonly type: 'boolean';
  readonly default: boolean;
}

export interface IntegerKeySpec extends KeySpecBase {
  readonly type: 'integer';
  readonly default?: number;
  /** Inclusive bounds; bigint because the reference's u64/usize range exceeds 2^53. */
  readonly min: bigint;
  readonly max: bigint;
  readonly unit?: 'seconds' | 'days' | 'bytes' | 'megabytes' | 'messages';
}

export type ScalarKeySpec = StringKeySpec | BooleanKeySpec | IntegerKeySpec;

export const U16_MAX = 65_535n;
export const U32_MAX = 4_294_967_295n;
/** usize and u64 on the reference's 64-bit targets. TOML integers stop at 2^63 - 1 anyway. */
export const U64_MAX = 18_446_744_073_709_551_615n;

const CONNECTION_MODE_VALUES = ['open', 'allowlist', 'approval', 'dns-verified'] as const;

function u64(
  key: string,
  property: keyof Config,
  defaultValue: number,
  unit: IntegerKeySpec['unit'],
  use: string,
): IntegerKeySpec {
  return { key, property, type: 'integer', default: defaultValue, min: 0n, max: U64_MAX, unit, isLive: false, origin: 'reference', use };
}

function u32(key: string, property: keyof Config, defaultValue: number, unit: IntegerKeySpec['unit'], use: string): IntegerKeySpec {
  return { key, property, type: 'integer', default: defaultValue, min: 0n, max: U32_MAX, unit, isLive: false, origin: 'reference', use };
}

/**
 * Every scalar top-level key, in the order the reference's `toq setup` writes them (struct field
 * order), then the gateway's keys. Tables (`["adapter.http"]`, `["adapter.grpc"]`,
 * `["adapter.unix"]`, `[agents.<name>]`) are listed in CONFIG_TABLES.
 */
export const CONFIG_KEYS: readonly ScalarKeySpec[] = Object.freeze([
  { key: 'agent_name', property: 'agentName', type: 'string', default: D.DEFAULT_AGENT_NAME, isLive: true, origin: 'reference', use: 'address, card and A2A card; only the cards follow a PATCH (the address changes at restart); a-z, 0-9 and "-", not starting or ending with "-"' },
  { key: 'host', property: 'host', type: 'string', default: D.DEFAULT_HOST, isLive: false, origin: 'reference', use: 'address; "auto" = public IPv4 looked up at every start' },
  { key: 'port', property: 'port', type: 'integer', default: D.DEFAULT_PORT, min: 0n, max: U16_MAX, isLive: false, origin: 'reference', use: 'listen port; 0 = first port from 9009 not claimed in the agents registry' },
  { key: 'connection_mode', property: 'connectionModeText', type: 'string', default: D.DEFAULT_CONNECTION_MODE, values: CONNECTION_MODE_VALUES, fallback: 'approval', isLive: true, origin: 'reference', use: 'who may connect; a PATCH changes what status/card report, the policy itself changes at restart' },
  { key: 'verbosity', property: 'verbosity', type: 'string', default: D.DEFAULT_VERBOSITY, values: ['non-technical', 'technical'], fallback: 'non-technical', isLive: false, origin: 'reference', use: 'technical makes `toq status` print port and pid' },
  { key: 'log_level', property: 'logLevelText', type: 'string', default: D.DEFAULT_LOG_LEVEL, values: LOG_LEVELS, fallback: 'warn', isLive: false, origin: 'reference', use: 'daemon log level' },
  { key: 'accept_files', property: 'acceptFiles', type: 'boolean', default: false, isLive: false, origin: 'reference', use: 'advertised in the card' },
  { ...u64('max_file_size', 'maxFileSize', D.DEFAULT_MAX_FILE_SIZE_BYTES, 'bytes', 'advertised in the card when accept_files'), isLive: false },
  { ...u64('max_message_size', 'maxMessageSize', D.DEFAULT_MAX_MESSAGE_SIZE_BYTES, 'bytes', 'card; local API body-size check (live); the wire frame cap stays 1 MiB'), isLive: true },
  u64('max_connections', 'maxConnections', D.DEFAULT_MAX_CONNECTIONS, undefined, 'unused by the reference'),
  u64('max_threads_per_connection', 'maxThreadsPerConnection', D.DEFAULT_MAX_THREADS_PER_CONNECTION, undefined, 'unused by the reference'),
  u64('max_message_queue', 'maxMessageQueue', D.DEFAULT_MAX_MESSAGE_QUEUE, 'messages', 'unused by the reference'),
  u64('max_pending_approvals', 'maxPendingApprovals', D.DEFAULT_MAX_PENDING_APPROVALS, undefined, 'unused by the reference (the queue is capped at 100)'),
  u64('handshake_timeout', 'handshakeTimeout', D.DEFAULT_HANDSHAKE_TIMEOUT_S, 'seconds', 'unused by the reference'),
  u64('negotiation_timeout', 'negotiationTimeout', D.DEFAULT_NEGOTIATION_TIMEOUT_S, 'seconds', 'unused by the reference'),
  u64('ack_timeout', 'ackTimeout', D.DEFAULT_ACK_TIMEOUT_S, 'seconds', 'unused by the reference'),
  u64('heartbeat_interval', 'heartbeatInterval', D.DEFAULT_HEARTBEAT_INTERVAL_S, 'seconds', 'unused by the reference'),
  u64('heartbeat_timeout', 'heartbeatTimeout', D.DEFAULT_HEARTBEAT_TIMEOUT_S, 'seconds', 'unused by the reference'),
  u64('session_resume_timeout', 'sessionResumeTimeout', D.DEFAULT_SESSION_RESUME_TIMEOUT_S, 'seconds', 'unused by the reference'),
  u64('graceful_shutdown_timeout', 'gracefulShutdownTimeout', D.DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_S, 'seconds', 'unused by the reference'),
  u32('log_retention_days', 'logRetentionDays', D.DEFAULT_LOG_RETENTION_DAYS, 'days', 'log files older than this are deleted at start'),
  u32('log_max_size_mb', 'logMaxSizeMb', D.DEFAULT_LOG_MAX_SIZE_MB, 'megabytes', 'unused by the reference'),
  u32('thread_cleanup_days', 'threadCleanupDays', D.DEFAULT_THREAD_CLEANUP_DAYS, 'days', 'unused by the reference'),
  { key: 'mdns_enabled', property: 'mdnsEnabled', type: 'boolean', default: false, isLive: false, origin: 'reference', use: 'unused by the reference' },
  { key: 'a2a_enabled', property: 'a2aEnabled', type: 'boolean', default: false, isLive: false, origin: 'reference', use: 'serves the A2A routes (restart needed)' },
  { key: 'a2a_api_key', property: 'a2aApiKey', type: 'string', isLive: true, origin: 'reference', use: 'bearer token A2A clients must send; empty = no auth' },
  { key: 'a2a_public_url', property: 'a2aPublicUrl', type: 'string', isLive: true, origin: 'reference', use: 'URL advertised in the A2A card; default http://<host>:<port>/a2a' },
  { key: 'adapter', property: 'adapter', type: 'string', default: D.DEFAULT_ADAPTER, isLive: false, origin: 'reference', use: 'written by `toq setup`, unused at runtime' },
  { key: 'message_history_limit', property: 'messageHistoryLimit', type: 'integer', min: 0n, max: U64_MAX, unit: 'messages', isLive: true, origin: 'reference', use: 'history kept in memory (at start) and query cap (live); unset = 1000' },
  // Gateway keys.
  { key: 'outbox_ttl', property: 'outboxTtl', type: 'integer', default: D.DEFAULT_OUTBOX_TTL_S, min: 1n, max: 31_536_000n, unit: 'seconds', isLive: false, origin: 'gateway', use: 'outbound messages are retried this long, then marked undeliverable; seen ids are kept at least this long' },
  { key: 'history_retention_days', property: 'historyRetentionDays', type: 'integer', default: D.DEFAULT_HISTORY_RETENTION_DAYS, min: 0n, max: 36_500n, unit: 'days', isLive: false, origin: 'gateway', use: 'history, finished tasks and seen ids older than this are pruned; 0 = never prune' },
  { key: 'a2a_default_agent', property: 'a2aDefaultAgent', type: 'string', isLive: false, origin: 'gateway', use: 'the hosted agent served at /a2a and /.well-known/agent-card.json (default: the local agent)' },
  { key: 'a2a_principal_identities', property: 'a2aPrincipalIdentities', type: 'boolean', default: false, isLive: false, origin: 'gateway', use: 'each authenticated A2A principal gets its own derived toq identity' },
  { key: 'a2a_webhook_allow_private', property: 'a2aWebhookAllowPrivate', type: 'boolean', default: false, isLive: false, origin: 'gateway', use: 'push-notification webhooks may target private and loopback addresses' },
  { key: 'a2a_reply_state', property: 'a2aReplyState', type: 'string', default: D.DEFAULT_A2A_REPLY_STATE, values: A2A_REPLY_STATES, isLive: false, origin: 'gateway', use: 'the state a reply without a2a.state gives its A2A task, for the local agent and (unless their table sets reply_state) the toq-upstream agents; input-required suits conversational agents (clients continue the same task); restart needed' },
  { key: 'a2a_blocking_timeout', property: 'a2aBlockingTimeout', type: 'integer', default: D.DEFAULT_A2A_BLOCKING_TIMEOUT_S, min: A2A_BLOCKING_TIMEOUT_MIN_S, max: A2A_BLOCKING_TIMEOUT_MAX_S, unit: 'seconds', isLive: false, origin: 'gateway', use: 'a blocking SendMessage with no reply yet answers with the working task after this long (late replies still update it), for every A2A agent unless its table sets blocking_timeout; restart needed' },
  { key: 'a2a_jwt_issuer', property: 'a2aJwtIssuer', type: 'string', isLive: false, origin: 'gateway', use: 'A2A callers may send a JWT from this issuer (exact "iss"); needs a2a_jwt_jwks_url' },
  { key: 'a2a_jwt_audience', property: 'a2aJwtAudience', type: 'string', isLive: false, origin: 'gateway', use: 'a value the JWT "aud" must contain; unset = not checked' },
  { key: 'a2a_jwt_jwks_url', property: 'a2aJwtJwksUrl', type: 'string', isLive: false, origin: 'gateway', use: 'http(s) URL of the issuer\'s JWKS (trusted as configured); needs a2a_jwt_issuer' },
  { key: 'tls_cert', property: 'tlsCert', type: 'string', isLive: false, origin: 'gateway', use: 'PEM certificate served instead of the self-signed one (path, relative to the config dir); needs tls_key' },
  { key: 'tls_key', property: 'tlsKey', type: 'string', isLive: false, origin: 'gateway', use: 'PEM private key of tls_cert (path, relative to the config dir); needs tls_cert' },
] satisfies ScalarKeySpec[]);

export interface TableSpec {
  /** The TOML key; `adapter.http` is literally one key with a dot, so it must be quoted. */
  readonly key: string;
  readonly property: keyof Config;
  /** Member keys of the table, snake_case → camelCase; all required. */
  readonly members: Readonly<Record<string, string>>;
  readonly origin: 'reference' | 'gateway';
  readonly use: string;
}

const ADAPTER_TABLE_LIST: TableSpec[] = [
  { key: 'adapter.http', property: 'adapterHttp', members: { callback_url: 'callbackUrl' }, origin: 'reference', use: 'legacy HTTP adapter callback' },
  { key: 'adapter.grpc', property: 'adapterGrpc', members: { address: 'address' }, origin: 'reference', use: 'unused by the reference' },
  { key: 'adapter.unix', property: 'adapterUnix', members: { socket_path: 'socketPath' }, origin: 'reference', use: 'unused by the reference' },
];
export const ADAPTER_TABLES: readonly TableSpec[] = Object.freeze(ADAPTER_TABLE_LIST);

/** The one list-valued key: JWT algorithms A2A callers may use (load-config.ts reads it). */
export const A2A_JWT_ALGORITHMS_KEY = 'a2a_jwt_algorithms';

/** What `a2a_jwt_algorithms` may list: asymmetric JWS algorithms only, never "none" or HS* (same list as a2a/jwt-auth.ts). */
export const A2A_JWT_ALGORITHM_VALUES: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/** Members of an `[agents.<name>]` table (DESIGN §3); `reply_state` and `blocking_timeout` are for toq upstreams only. */
export const AGENT_TABLE_KEYS: readonly string[] = Object.freeze(['a2a', 'auth', 'auth_env', 'toq', 'reply_state', 'blocking_timeout']);

/** Every top-level key the gateway knows; anything else is ignored with a warning. */
export const KNOWN_TOP_LEVEL_KEYS: ReadonlySet<string> = new Set([
  ...CONFIG_KEYS.map((spec) => spec.key),
  ...ADAPTER_TABLES.map((spec) => spec.key),
  'agents',
  A2A_JWT_ALGORITHMS_KEY,
]);

export function findKeySpec(key: string): ScalarKeySpec | undefined {
  return CONFIG_KEYS.find((spec) => spec.key === key);
}

/** The accepted range of a scalar key, as config error messages state it. */
export function describeAccepted(spec: ScalarKeySpec): string {
  switch (spec.type) {
    case 'boolean':
      return 'true or false';
    case 'integer':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'string':
      return 'a string';
  }
}
