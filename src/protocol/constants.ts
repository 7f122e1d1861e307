// Protocol constants (wire spec §1). Units are in the names.

export const PROTOCOL_VERSION = '0.1';
export const DEFAULT_PORT = 9009;
/** "TOQ" + 0x01, the first four application bytes after TLS (spec §3.4). */
export const MAGIC = Uint8Array.of(0x54, 0x4f, 0x51, 0x01);
export const KEY_PREFIX = 'ed25519:';

export const MAX_FRAME_BYTES = 1_048_576;
export const MAX_HANDSHAKE_FRAME_BYTES = 65_536;
export const MAX_CARD_BYTES = 65_536;
export const MAX_RECIPIENTS = 100;
/** serde_json's recursion limit; the envelope object itself counts as one level (spec §5.2). */
export const MAX_JSON_DEPTH = 128;

export const HANDSHAKE_TIMEOUT_MS = 5_000;
export const NEGOTIATION_TIMEOUT_MS = 5_000;
export const CARD_TIMEOUT_MS = 5_000;
export const PEEK_TIMEOUT_MS = 5_000;
export const TLS_TIMEOUT_MS = 5_000;
export const ACK_TIMEOUT_MS = 10_000;
export const HEARTBEAT_INTERVAL_MS = 30_000;
export const HEARTBEAT_TIMEOUT_MS = 90_000;
/** Inbound sessions from peers that never heartbeat (the reference never does) get this long. */
export const INBOUND_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEDUP_WINDOW_MS = 300_000;
export const MAX_PENDING_APPROVALS = 100;
export const NEW_CONNECTIONS_PER_IP_PER_SECOND = 10;

export const DNS_SERVICE_PREFIX = '_toq._tcp.';
export const DNS_PROTOCOL_ID = 'toq1';
export const DEFAULT_CONTENT_TYPE = 'application/json';
export const TLS_SERVER_NAME = 'localhost';

/** Content types refused on receive (prefix match, case-insensitive; spec §10). */
export const BLOCKED_CONTENT_TYPE_PREFIXES = [
  'application/x-executable',
  'application/x-msdos-program',
  'application/x-msdownload',
  'application/x-sharedlib',
  'application/vnd.microsoft.portable-executable',
] as const;
