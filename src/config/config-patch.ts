// PATCH /v1/config (local-API spec §3.7): merge a partial JSON object into config.toml, validate
// the result as a whole, and produce the new file text by structural edits (edit-config.ts), so
// the user's comments and the keys the patch does not name stay as they were. Pure: the caller
// reads and writes the file.

import { ConfigError, type ConfigWarn } from './config-error.js';
import { configToJson } from './config-json.js';
import { ADAPTER_TABLES, KNOWN_TOP_LEVEL_KEYS, type Config } from './config-schema.js';
import {
  removeAgentTable,
  removeConfigTable,
  setAgentTable,
  setConfigKey,
  setConfigTable,
  unsetConfigKey,
  type EditConfigOptions,
  type TomlEditValue,
} from './edit-config.js';
import { loadConfig } from './load-config.js';

export interface ConfigPatchOptions extends EditConfigOptions {
  readonly warn?: ConfigWarn;
}

export interface ConfigPatchResult {
  /** The new config.toml text (equal to the input when nothing changed). */
  readonly text: string;
  readonly config: Config;
  /**
   * The response's `config` member: configToJson(config) plus any unknown keys the patch sent,
   * which the reference echoes back (and, like the reference, does not save).
   */
  readonly json: Record<string, unknown>;
}

/**
 * Applies `patch` (the parsed JSON body) to `currentText`. `null` removes a key (it falls back
 * to its default) or, under `agents`, one agent table. A value of the wrong type or out of
 * range is a ConfigError naming the key; nothing is written in that case.
 */
export function applyConfigPatch(currentText: string, patch: unknown, options: ConfigPatchOptions = {}): ConfigPatchResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ConfigError('', 'a config patch must be a JSON object of config keys');
  }
  const warn = options.warn ?? (() => undefined);
  const edit: EditConfigOptions = options.onRewrite === undefined ? {} : { onRewrite: options.onRewrite };
  const unknown: Record<string, unknown> = {};
  let text = currentText;
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (!KNOWN_TOP_LEVEL_KEYS.has(key)) {
      warn({ key, message: `unknown config key "${key}" in the patch is not saved` });
      unknown[key] = value;
      continue;
    }
    if (key === 'agents') {
      text = patchAgents(text, value, edit);
      continue;
    }
    if (ADAPTER_TABLES.some((table) => table.key === key)) {
      if (value === null) text = removeConfigTable(text, [key], edit);
      else if (isObject(value)) text = setConfigTable(text, [key], toEditObject(key, value), edit);
      else throw new ConfigError(key, `${key} must be an object or null, got ${describeJson(value)}`);
      continue;
    }
    text = value === null ? unsetConfigKey(text, key, edit) : setConfigKey(text, key, toEditValue(key, value), edit);
  }
  const config = loadConfig(text, { warn });
  const json: Record<string, unknown> = { ...configToJson(config), ...unknown };
  return { text, config, json: sortKeys(json) };
}

function patchAgents(text: string, value: unknown, edit: EditConfigOptions): string {
  if (value === null) return removeConfigTable(text, ['agents'], edit);
  if (!isObject(value)) throw new ConfigError('agents', `agents must be an object of agent name → table (or null), got ${describeJson(value)}`);
  let out = text;
  for (const [name, table] of Object.entries(value)) {
    const key = `agents.${name}`;
    if (table === null) out = removeAgentTable(out, name, edit);
    else if (isObject(table)) out = setAgentTable(out, name, toEditObject(key, table), edit);
    else throw new ConfigError(key, `${key} must be an object such as {"a2a": "http://..."} or null, got ${describeJson(table)}`);
  }
  return out;
}

function toEditObject(key: string, value: Record<string, unknown>): { [key: string]: TomlEditValue } {
  const out: { [key: string]: TomlEditValue } = {};
  for (const [member, memberValue] of Object.entries(value)) out[member] = toEditValue(`${key}.${member}`, memberValue);
  return out;
}

/** JSON → a TOML value. TOML has no null, so a null anywhere but at the top is a type error. */
function toEditValue(key: string, value: unknown): TomlEditValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new ConfigError(key, `${key} ${value} is beyond ${Number.MAX_SAFE_INTEGER} and cannot be taken exactly`);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => toEditValue(key, item));
  if (isObject(value)) return toEditObject(key, value);
  throw new ConfigError(key, `${key} cannot be ${describeJson(value)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value) ?? String(value);
}

function sortKeys(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = object[key];
  return out;
}
