// handlers.toml (local-API spec §6; toq-core config.rs HandlersFile): `[[handlers]]` tables with
// name, command?, provider?, model?, prompt?, prompt_file?, max_turns?, auto_close, enabled
// (default true), filter_from?, filter_key?, filter_type?; empty strings and lists are omitted
// when written. Entries are the handlers module's HandlerSpec, type-checked by its
// parseHandlerSpec (as serde checks them: one bad entry refuses the file, naming the field).
// Running handlers is someone else's job.

import { existsSync, readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, type ConfigWarn } from '../config/config-error.js';
import { formatTomlValue } from '../config/edit-config.js';
import { describeValue } from '../config/load-config.js';
import { HandlerSpecError, parseHandlerSpec, type HandlerSpec } from '../handlers/handler-spec.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

export interface HandlersLoadOptions {
  readonly warn?: ConfigWarn;
}

const KNOWN_FIELDS: readonly string[] = [
  'name',
  'command',
  'provider',
  'model',
  'prompt',
  'prompt_file',
  'max_turns',
  'auto_close',
  'enabled',
  'filter_from',
  'filter_key',
  'filter_type',
];

const HEADER = [
  '# toq message handlers (edit while the daemon is stopped, or use `toq handler ...`)',
  '# filter_from matches addresses or patterns, filter_key public keys, filter_type message types;',
  '# entries of one filter are alternatives, different filters must all match',
  '',
  '',
].join('\n');

/** Parses handlers.toml text. Invalid TOML or a mistyped field is a ConfigError naming it. */
export function parseHandlersToml(text: string, options: HandlersLoadOptions = {}): HandlerSpec[] {
  const warn = options.warn ?? (() => undefined);
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError('handlers.toml', `handlers.toml is not valid TOML at line ${err.line}, column ${err.column}`, { cause: err });
    }
    throw err;
  }
  const list = doc['handlers'];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ConfigError('handlers', `handlers must be an array of [[handlers]] tables, got ${describeValue(list)}`);
  return list.map((item, i) => {
    const at = `handlers[${i}]`;
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      for (const field of Object.keys(item)) {
        if (!KNOWN_FIELDS.includes(field)) warn({ key: `${at}.${field}`, message: `unknown handler field "${field}" in ${at} ignored` });
      }
    }
    try {
      return parseHandlerSpec(item);
    } catch (err) {
      if (err instanceof HandlerSpecError) throw new ConfigError(`${at}.${err.field}`, `${at}: ${err.message}`, { cause: err });
      throw err;
    }
  });
}

/** The file text: a comment header, then one `[[handlers]]` table per entry (or `handlers = []`). */
export function formatHandlersToml(entries: readonly HandlerSpec[]): string {
  if (entries.length === 0) return `${HEADER}handlers = []\n`;
  const tables = entries.map((entry) => {
    const lines = ['[[handlers]]', `name = ${formatTomlValue(entry.name)}`];
    const text = (key: string, value: string | undefined, isEmptyOmitted: boolean): void => {
      if (value === undefined || (isEmptyOmitted && value === '')) return;
      lines.push(`${key} = ${formatTomlValue(value)}`);
    };
    text('command', entry.command, true);
    text('provider', entry.provider, true);
    text('model', entry.model, true);
    // Option<String> in the reference: Some("") is written, None is not.
    text('prompt', entry.prompt, false);
    text('prompt_file', entry.prompt_file, false);
    if (entry.max_turns !== undefined) lines.push(`max_turns = ${formatTomlValue(entry.max_turns)}`);
    lines.push(`auto_close = ${entry.auto_close}`, `enabled = ${entry.enabled}`);
    if (entry.filter_from.length > 0) lines.push(`filter_from = ${formatTomlValue(entry.filter_from)}`);
    if (entry.filter_key.length > 0) lines.push(`filter_key = ${formatTomlValue(entry.filter_key)}`);
    if (entry.filter_type.length > 0) lines.push(`filter_type = ${formatTomlValue(entry.filter_type)}`);
    return `${lines.join('\n')}\n`;
  });
  return HEADER + tables.join('\n');
}

/** Reads the file; a missing file is no handlers. */
export function readHandlersFile(path: string, options: HandlersLoadOptions = {}): HandlerSpec[] {
  if (!existsSync(path)) return [];
  return parseHandlersToml(readFileSync(path, 'utf8'), options);
}

export function writeHandlersFileSync(path: string, entries: readonly HandlerSpec[]): void {
  writeFileAtomicSync(path, formatHandlersToml(entries));
}

export function writeHandlersFile(path: string, entries: readonly HandlerSpec[]): Promise<void> {
  return writeFileAtomic(path, formatHandlersToml(entries));
}
