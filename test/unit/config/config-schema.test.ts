import { describe, expect, it } from 'vitest';
import { ADAPTER_TABLES, CONFIG_KEYS, KNOWN_TOP_LEVEL_KEYS, describeAccepted } from '../../../src/config/config-schema.js';
import { defaultConfig } from '../../../src/config/load-config.js';

// The reference's Config struct fields (toq-core config.rs at 7e7b7e5), in declaration order.
const REFERENCE_KEYS = [
  'agent_name', 'host', 'port', 'connection_mode', 'verbosity', 'log_level', 'accept_files', 'max_file_size',
  'max_message_size', 'max_connections', 'max_threads_per_connection', 'max_message_queue', 'max_pending_approvals',
  'handshake_timeout', 'negotiation_timeout', 'ack_timeout', 'heartbeat_interval', 'heartbeat_timeout',
  'session_resume_timeout', 'graceful_shutdown_timeout', 'log_retention_days', 'log_max_size_mb', 'thread_cleanup_days',
  'mdns_enabled', 'a2a_enabled', 'a2a_api_key', 'a2a_public_url', 'adapter', 'message_history_limit',
];

describe('config schema', () => {
  it('lists every reference key in struct order, then the gateway keys', () => {
    const reference = CONFIG_KEYS.filter((spec) => spec.origin === 'reference').map((spec) => spec.key);
    expect(reference).toEqual(REFERENCE_KEYS);
    const gateway = CONFIG_KEYS.filter((spec) => spec.origin === 'gateway').map((spec) => spec.key);
    expect(gateway).toEqual(['outbox_ttl', 'history_retention_days', 'a2a_default_agent', 'a2a_principal_identities', 'a2a_webhook_allow_private', 'a2a_reply_state', 'a2a_blocking_timeout', 'a2a_jwt_issuer', 'a2a_jwt_audience', 'a2a_jwt_jwks_url', 'tls_cert', 'tls_key']);
    expect(ADAPTER_TABLES.map((t) => t.key)).toEqual(['adapter.http', 'adapter.grpc', 'adapter.unix']);
    expect(KNOWN_TOP_LEVEL_KEYS.has('agents')).toBe(true);
    expect(KNOWN_TOP_LEVEL_KEYS.has('a2a_jwt_algorithms')).toBe(true);
  });

  it('marks as live exactly the keys spec §7 says a running daemon follows', () => {
    const live = CONFIG_KEYS.filter((spec) => spec.isLive).map((spec) => spec.key);
    expect(live.sort()).toEqual(['a2a_api_key', 'a2a_public_url', 'agent_name', 'connection_mode', 'max_message_size', 'message_history_limit']);
  });

  it('has the spec §7 defaults', () => {
    const config = defaultConfig();
    expect(config.port).toBe(9009);
    expect(config.maxFileSize).toBe(10_485_760);
    expect(config.sessionResumeTimeout).toBe(300);
    expect(config.logMaxSizeMb).toBe(500);
    expect(config.outboxTtl).toBe(86_400);
    expect(config.historyRetentionDays).toBe(30);
    expect(config.messageHistoryLimit).toBeUndefined();
  });

  it('states ranges from the Rust types', () => {
    const port = CONFIG_KEYS.find((spec) => spec.key === 'port');
    const days = CONFIG_KEYS.find((spec) => spec.key === 'log_retention_days');
    expect(port && describeAccepted(port)).toBe('an integer from 0 to 65535');
    expect(days && describeAccepted(days)).toBe('an integer from 0 to 4294967295');
  });
});
