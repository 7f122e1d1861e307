// `toq config set/unset` and `toq a2a ...`: change config.toml keys by structural edits (comments
// and other keys stay), validate the whole result with the config loader before anything is
// written, and when the daemon runs hand the change to PATCH /v1/config so that live keys take
// effect at once (the daemon then writes the file with the same edits).

import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import { describeAccepted, findKeySpec, type ScalarKeySpec } from '../config/config-schema.js';
import { setConfigKey, unsetConfigKey, type TomlEditValue } from '../config/edit-config.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/config-schema.js';
import { writeFileAtomicSync } from '../workspace/atomic-write.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './exit-codes.js';
import { findRunningDaemon } from './running-daemon.js';

/** A key's new value; null removes the key (back to its default). */
export type ConfigEdit = Readonly<Record<string, string | boolean | bigint | null>>;

export interface ConfigEditResult {
  readonly config: Config;
  /** Whether a running daemon received the change (PATCH /v1/config). */
  readonly isSentToDaemon: boolean;
  /** Keys that only take effect at the next start. */
  readonly restartKeys: readonly string[];
}

/** The key's spec, or a CliError naming it. */
export function configKeySpec(key: string): ScalarKeySpec {
  const spec = findKeySpec(key);
  if (spec === undefined) throw new CliError('invalid_config', `unknown config key "${key}" (see docs/CLI.md or \`toq config show --json\` for the keys)`);
  return spec;
}

/**
 * Command-line text → the key's type. Stricter than the loader for keys with known values
 * (connection_mode, log_level, verbosity): the reference's `config set` validates the mode.
 */
export function parseConfigValue(spec: ScalarKeySpec, text: string): string | boolean | bigint {
  const bad = (accepted: string): ConfigError => new ConfigError(spec.key, `${spec.key} must be ${accepted}, got ${JSON.stringify(text)}`);
  switch (spec.type) {
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw bad(describeAccepted(spec));
    case 'integer': {
      if (!/^[+-]?[0-9]+$/.test(text)) throw bad(describeAccepted(spec));
      const value = BigInt(text);
      if (value < spec.min || value > spec.max) throw bad(describeAccepted(spec));
      return value;
    }
    case 'string':
      if (spec.values !== undefined && !spec.values.includes(text)) throw bad(`one of ${spec.values.join(', ')}`);
      return text;
  }
}

/** Applies `edit` to config.toml (through the daemon when it runs). Throws CliError naming the key. */
export async function applyConfigEdit(ctx: CliContext, edit: ConfigEdit): Promise<ConfigEditResult> {
  const path = ctx.paths.config;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  let config: Config;
  try {
    for (const [key, value] of Object.entries(edit)) text = value === null ? unsetConfigKey(text, key) : setConfigKey(text, key, value as TomlEditValue);
    config = loadConfig(text);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('invalid_config', namingKey(err), 1, { cause: err });
    throw err;
  }
  const restartKeys = Object.keys(edit).filter((key) => findKeySpec(key)?.isLive !== true);
  const daemon = findRunningDaemon(ctx.paths);
  const patch = toJsonPatch(edit);
  if (daemon !== undefined && patch !== undefined) {
    await daemon.api.patch('/v1/config', patch);
    return { config, isSentToDaemon: true, restartKeys };
  }
  writeFileAtomicSync(path, text);
  return { config, isSentToDaemon: false, restartKeys };
}

/** The JSON patch for the API; undefined when a value has no exact JSON form (huge integers). */
function toJsonPatch(edit: ConfigEdit): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(edit)) {
    if (typeof value === 'bigint') {
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
      out[key] = Number(value);
    } else out[key] = value;
  }
  return out;
}

function namingKey(err: ConfigError): string {
  return err.key !== '' && !err.message.includes(err.key) ? `${err.key}: ${err.message}` : err.message;
}
