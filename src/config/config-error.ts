// The error every config check throws: it names the offending key and states the accepted range,
// so the daemon can refuse to start (or the local API can refuse a PATCH) with a usable message.
// It does no I/O and knows nothing about where the text came from.

import { GatewayError } from '../protocol/errors.js';

/**
 * A malformed configuration value. `code` is always `invalid_config` (the local API's error code
 * for PATCH /v1/config); `key` is the dotted key (`port`, `agents.helper.a2a`, `adapter.http`),
 * or `''` when the document as a whole is at fault (not TOML at all).
 */
export class ConfigError extends GatewayError {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('invalid_config', message, options);
    this.key = key;
  }
}

/** Something a config file does that the reference tolerates but that is probably a mistake. */
export interface ConfigWarning {
  readonly key: string;
  readonly message: string;
}

/** Receives config warnings; the daemon logs them at warn level, tests collect them. */
export type ConfigWarn = (warning: ConfigWarning) => void;
