// Default values of every config.toml key, in one place (STYLE "Configuration"). The reference's
// defaults come from toq-core config.rs `impl Default for Config` and constants.rs (local-API
// spec §7); the gateway's own keys are ours (DESIGN §3, §4, §7, §8). Units are in the names.

/** `agent_name`. */
export const DEFAULT_AGENT_NAME = 'agent';
/** `host`; the special value `auto` means "look up the public IPv4 at every start". */
export const DEFAULT_HOST = 'localhost';
/** `port`; 0 means "pick the first port from 9009 not claimed in the agents registry". */
export const DEFAULT_PORT = 9009;
export const DEFAULT_CONNECTION_MODE = 'approval';
export const DEFAULT_VERBOSITY = 'non-technical';
export const DEFAULT_LOG_LEVEL = 'warn';
export const DEFAULT_MAX_FILE_SIZE_BYTES = 10_485_760;
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 1_048_576;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_MAX_THREADS_PER_CONNECTION = 100;
export const DEFAULT_MAX_MESSAGE_QUEUE = 10_000;
export const DEFAULT_MAX_PENDING_APPROVALS = 100;
export const DEFAULT_HANDSHAKE_TIMEOUT_S = 5;
export const DEFAULT_NEGOTIATION_TIMEOUT_S = 5;
export const DEFAULT_ACK_TIMEOUT_S = 10;
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;
export const DEFAULT_HEARTBEAT_TIMEOUT_S = 90;
export const DEFAULT_SESSION_RESUME_TIMEOUT_S = 300;
export const DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_S = 60;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const DEFAULT_LOG_MAX_SIZE_MB = 500;
export const DEFAULT_THREAD_CLEANUP_DAYS = 30;
export const DEFAULT_ADAPTER = 'http';
/** What an unset `message_history_limit` means (the key itself has no default in the file). */
export const DEFAULT_MESSAGE_HISTORY_LIMIT = 1000;

// Gateway keys (not in the reference; the reference ignores them).
/** `outbox_ttl`: how long an undelivered outbound message is retried (DESIGN §7). */
export const DEFAULT_OUTBOX_TTL_S = 86_400;
/** `history_retention_days`: history, finished tasks and seen ids older than this are pruned. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 30;
/** `a2a_reply_state`: what a reply without `a2a.state` makes of its A2A task (DESIGN §5.2). */
export const DEFAULT_A2A_REPLY_STATE = 'completed';
/** `a2a_blocking_timeout`: a blocking SendMessage answers with the still-working task after this long (DESIGN §5.2). */
export const DEFAULT_A2A_BLOCKING_TIMEOUT_S = 30;

/** Hosted agent names that would collide with A2A route segments (DESIGN §2). */
export const RESERVED_AGENT_NAMES: readonly string[] = Object.freeze(['rest', 'jsonrpc', 'v1']);
