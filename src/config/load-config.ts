// Builds the one frozen, validated Config from config.toml text (local-API spec §7, DESIGN §3).
// Types follow the reference's serde rules (a wrong type or an out-of-range integer refuses the
// file, as `toq up` does); values the reference accepts but ignores or falls back on (an unknown
// connection_mode, an unknown key) are accepted with a warning. Only loadConfigFile() reads a
// file; nothing here touches sockets or process.env.

import { existsSync, readFileSync } from 'node:fs';
import { parse, TomlDate, TomlError } from 'smol-toml';
import { isValidAgentName, tryParseAddress } from '../protocol/address.js';
import { parseConnectionMode } from '../protocol/policy.js';
import { ConfigError, type ConfigWarn } from './config-error.js';
import { RESERVED_AGENT_NAMES } from './config-defaults.js';
import {
  A2A_BLOCKING_TIMEOUT_MAX_S,
  A2A_BLOCKING_TIMEOUT_MIN_S,
  A2A_JWT_ALGORITHM_VALUES,
  A2A_JWT_ALGORITHMS_KEY,
  A2A_REPLY_STATES,
  ADAPTER_TABLES,
  AGENT_TABLE_KEYS,
  CONFIG_KEYS,
  KNOWN_TOP_LEVEL_KEYS,
  LOG_LEVELS,
  describeAccepted,
  type A2aReplyState,
  type AgentConfig,
  type Config,
  type IntegerKeySpec,
  type LogLevel,
  type ScalarKeySpec,
} from './config-schema.js';

export interface LoadConfigOptions {
  /** Receives tolerated oddities (unknown keys, fallbacks). @default ignore them */
  readonly warn?: ConfigWarn;
}

/** A parsed TOML document; integers are bigint so that `2.0` (a float) stays distinguishable. */
export type TomlDocument = Record<string, unknown>;

const AUTH_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUOTE_MAX_CHARS = 80;

/**
 * Parses TOML text as the config layer sees it (integers as bigint, floats as number).
 * A syntax error is a ConfigError with key `''` and the line and column.
 */
export function parseTomlDocument(text: string, fileName = 'config.toml'): TomlDocument {
  if (typeof text !== 'string') throw new TypeError('config text must be a string');
  try {
    return parse(text, { integersAsBigInt: true }) as TomlDocument;
  } catch (err) {
    if (err instanceof TomlError) {
      const firstLine = err.message.split('\n', 1)[0] ?? err.message;
      throw new ConfigError('', `${fileName} is not valid TOML at line ${err.line}, column ${err.column}: ${firstLine}`, { cause: err });
    }
    throw err;
  }
}

/** config.toml text → validated, frozen Config. Throws ConfigError naming the key. */
export function loadConfig(text: string, options: LoadConfigOptions = {}): Config {
  return configFromDocument(parseTomlDocument(text), options);
}

/** The Config of an empty file: every default. */
export function defaultConfig(): Config {
  return configFromDocument({}, {});
}

/**
 * Reads `path` and loads it. A missing file means all defaults, as in the reference
 * (`Config::load`); an unreadable one is an fs error, left to the caller.
 */
export function loadConfigFile(path: string, options: LoadConfigOptions = {}): Config {
  if (!existsSync(path)) return defaultConfig();
  return loadConfig(readFileSync(path, 'utf8'), options);
}

/** Validates a parsed document (see parseTomlDocument for the number convention). */
export function configFromDocument(doc: TomlDocument, options: LoadConfigOptions): Config {
  const warn = options.warn ?? (() => undefined);
  const out: Record<string, unknown> = {};

  for (const key of Object.keys(doc)) {
    if (!KNOWN_TOP_LEVEL_KEYS.has(key)) {
      const hint = suggestKey(key);
      warn({ key, message: `unknown config key "${key}" ignored${hint === undefined ? '' : ` (did you mean "${hint}"?)`}` });
    }
  }

  for (const spec of CONFIG_KEYS) {
    const value = readScalar(spec, doc[spec.key], warn);
    if (value !== undefined) out[spec.property] = value;
  }

  const agentName = out['agentName'] as string;
  if (!isValidAgentName(agentName)) {
    throw new ConfigError('agent_name', `agent_name must be 1 or more of a-z, 0-9 and "-", not starting or ending with "-", got ${quote(agentName)}`);
  }
  const host = out['host'] as string;
  // The reference starts with an empty host, but its address then cannot be parsed back by anyone.
  if (host.length === 0) throw new ConfigError('host', 'host must be a non-empty host name or IP address (or "auto"), got ""');

  const mode = parseConnectionMode(out['connectionModeText'] as string);
  out['connectionMode'] = mode.mode;
  const logLevelText = out['logLevelText'] as string;
  out['logLevel'] = (LOG_LEVELS as readonly string[]).includes(logLevelText) ? (logLevelText as LogLevel) : 'warn';

  if (out['a2aApiKey'] === '') warn({ key: 'a2a_api_key', message: 'a2a_api_key is empty: A2A clients are not authenticated' });
  const publicUrl = out['a2aPublicUrl'];
  if (typeof publicUrl === 'string' && !isHttpUrl(publicUrl)) {
    warn({ key: 'a2a_public_url', message: `a2a_public_url is not an http(s) URL: ${quote(publicUrl)}` });
  }
  readJwtAuth(doc, out, warn);

  for (const table of ADAPTER_TABLES) {
    const value = doc[table.key];
    if (value === undefined) continue;
    if (!isTable(value)) throw new ConfigError(table.key, `${table.key} must be a table ["${table.key}"], got ${describeValue(value)}`);
    const members: Record<string, string> = {};
    for (const [member, property] of Object.entries(table.members)) {
      const memberValue = value[member];
      if (typeof memberValue !== 'string') {
        throw new ConfigError(`${table.key}.${member}`, `${table.key}.${member} must be a string, got ${describeValue(memberValue)}`);
      }
      members[property] = memberValue;
    }
    warnUnknownMembers(value, Object.keys(table.members), table.key, warn);
    out[table.property] = Object.freeze(members);
  }

  const agents = readAgents(doc['agents'], agentName, warn);
  out['agents'] = agents;

  const defaultAgent = out['a2aDefaultAgent'];
  if (typeof defaultAgent === 'string' && defaultAgent !== agentName && !agents.some((agent) => agent.name === defaultAgent)) {
    const names = [agentName, ...agents.map((agent) => agent.name)].join(', ');
    throw new ConfigError('a2a_default_agent', `a2a_default_agent must name the local agent or an [agents.<name>] table (${names}), got ${quote(defaultAgent)}`);
  }
  if ((out['tlsCert'] === undefined) !== (out['tlsKey'] === undefined)) {
    const missing = out['tlsCert'] === undefined ? 'tls_cert' : 'tls_key';
    throw new ConfigError(missing, 'tls_cert and tls_key must be set together (paths of a PEM certificate and its private key)');
  }
  for (const key of ['tls_cert', 'tls_key'] as const) {
    const value = out[key === 'tls_cert' ? 'tlsCert' : 'tlsKey'];
    if (value === '') throw new ConfigError(key, `${key} must be a non-empty path, got ""`);
  }

  return Object.freeze(out) as unknown as Config;
}

function readScalar(spec: ScalarKeySpec, value: unknown, warn: ConfigWarn): string | number | boolean | undefined {
  if (value === undefined) return spec.default;
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') {
        const hint = spec.key === 'adapter' && isTable(value) ? ' (a table named adapter.http must be written ["adapter.http"], quoted)' : '';
        throw new ConfigError(spec.key, `${spec.key} must be a string, got ${describeValue(value)}${hint}`);
      }
      if (spec.values !== undefined && !spec.values.includes(value)) {
        // The gateway's own keys have no reference behaviour to copy: a typo is refused, not guessed.
        if (spec.fallback === undefined) throw new ConfigError(spec.key, `${spec.key} must be one of ${spec.values.join(', ')}, got ${quote(value)}`);
        warn({ key: spec.key, message: `${spec.key} ${quote(value)} is not one of ${spec.values.join(', ')}; using ${spec.fallback} like the reference` });
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(spec.key, `${spec.key} must be true or false, got ${describeValue(value)}`);
      return value;
    case 'integer':
      return readInteger(spec, value, warn);
  }
}

function readInteger(spec: IntegerKeySpec, value: unknown, warn: ConfigWarn): number {
  const integer = typeof value === 'bigint' ? value : undefined;
  if (integer === undefined || integer < spec.min || integer > spec.max) {
    throw new ConfigError(spec.key, `${spec.key} must be ${describeAccepted(spec)}, got ${describeValue(value)}`);
  }
  if (integer > BigInt(Number.MAX_SAFE_INTEGER)) {
    // Accepted by the reference (u64/usize); no cap or count here needs more than 2^53.
    warn({ key: spec.key, message: `${spec.key} ${integer} is larger than ${Number.MAX_SAFE_INTEGER}; using ${Number.MAX_SAFE_INTEGER}` });
    return Number.MAX_SAFE_INTEGER;
  }
  return Number(integer);
}

/**
 * JWT auth of A2A callers (DESIGN §8): on when a2a_jwt_issuer and a2a_jwt_jwks_url are set;
 * any other a2a_jwt_* key without those two is a mistake, refused naming what is missing.
 */
function readJwtAuth(doc: TomlDocument, out: Record<string, unknown>, warn: ConfigWarn): void {
  const algorithms = readJwtAlgorithms(doc[A2A_JWT_ALGORITHMS_KEY]);
  if (algorithms !== undefined) out['a2aJwtAlgorithms'] = algorithms;
  const keys = { a2a_jwt_issuer: out['a2aJwtIssuer'], a2a_jwt_audience: out['a2aJwtAudience'], a2a_jwt_jwks_url: out['a2aJwtJwksUrl'] } as Record<string, string | undefined>;
  for (const [key, value] of Object.entries(keys)) {
    if (value !== undefined && value.trim() === '') throw new ConfigError(key, `${key} must not be empty (remove the key to turn JWT auth off)`);
  }
  const set = [...Object.keys(keys).filter((key) => keys[key] !== undefined), ...(algorithms === undefined ? [] : [A2A_JWT_ALGORITHMS_KEY])];
  if (set.length === 0) return;
  const missing = ['a2a_jwt_issuer', 'a2a_jwt_jwks_url'].filter((key) => keys[key] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing[0]!, `JWT auth of A2A callers needs ${missing.join(' and ')} (${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set)`);
  }
  const jwksUrl = keys['a2a_jwt_jwks_url']!;
  if (!isHttpUrl(jwksUrl)) throw new ConfigError('a2a_jwt_jwks_url', `a2a_jwt_jwks_url must be an http:// or https:// URL, got ${quote(jwksUrl)}`);
  const url = new URL(jwksUrl);
  if (url.protocol === 'http:' && !/^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname)) {
    warn({ key: 'a2a_jwt_jwks_url', message: `a2a_jwt_jwks_url is plain http: anyone on the path to ${url.host} can substitute the keys; use https` });
  }
  if (keys['a2a_jwt_audience'] === undefined) {
    warn({ key: 'a2a_jwt_audience', message: 'a2a_jwt_audience is unset: tokens of the issuer are accepted whatever their audience' });
  }
}

function readJwtAlgorithms(value: unknown): readonly string[] | undefined {
  const key = A2A_JWT_ALGORITHMS_KEY;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    throw new ConfigError(key, `${key} must be a non-empty list of strings such as ["RS256", "ES256"], got ${Array.isArray(value) && value.length === 0 ? 'an empty list' : describeValue(value)}`);
  }
  for (const alg of value as string[]) {
    if (alg.toLowerCase() === 'none') throw new ConfigError(key, `${key} must not list "none": unsigned tokens are never accepted`);
    if (/^HS\d+$/i.test(alg)) throw new ConfigError(key, `${key} must not list ${quote(alg)}: a shared-secret algorithm cannot be checked against a JWKS (accepted: ${A2A_JWT_ALGORITHM_VALUES.join(', ')})`);
    if (!A2A_JWT_ALGORITHM_VALUES.includes(alg)) throw new ConfigError(key, `${key} lists ${quote(alg)}, which is not one of ${A2A_JWT_ALGORITHM_VALUES.join(', ')}`);
  }
  return Object.freeze([...new Set(value as string[])]);
}

function readAgents(value: unknown, localName: string, warn: ConfigWarn): readonly AgentConfig[] {
  if (value === undefined) return Object.freeze([]);
  if (!isTable(value)) throw new ConfigError('agents', `agents must be a table of [agents.<name>] tables, got ${describeValue(value)}`);
  const agents: AgentConfig[] = [];
  for (const [name, table] of Object.entries(value)) {
    const key = `agents.${name}`;
    if (!isValidAgentName(name)) {
      throw new ConfigError(key, `agent name in [${key}] must be 1 or more of a-z, 0-9 and "-", not starting or ending with "-", got ${quote(name)}`);
    }
    if (RESERVED_AGENT_NAMES.includes(name)) {
      throw new ConfigError(key, `agent name ${quote(name)} is reserved (${RESERVED_AGENT_NAMES.join(', ')} name A2A routes)`);
    }
    if (name === localName) throw new ConfigError(key, `[${key}] has the same name as agent_name (the local agent)`);
    if (!isTable(table)) throw new ConfigError(key, `${key} must be a table with a2a = "http(s)://..." or toq = "toq://...", got ${describeValue(table)}`);
    for (const member of AGENT_TABLE_KEYS) {
      const memberValue = table[member];
      if (member !== 'blocking_timeout' && memberValue !== undefined && typeof memberValue !== 'string') {
        throw new ConfigError(`${key}.${member}`, `${key}.${member} must be a string, got ${describeValue(memberValue)}`);
      }
    }
    warnUnknownMembers(table, AGENT_TABLE_KEYS, key, warn);
    const a2a = table['a2a'] as string | undefined;
    const toq = table['toq'] as string | undefined;
    const auth = table['auth'] as string | undefined;
    const authEnv = table['auth_env'] as string | undefined;
    if ((a2a === undefined) === (toq === undefined)) {
      throw new ConfigError(key, `[${key}] must set exactly one of a2a = "http(s)://..." or toq = "toq://..."`);
    }
    const a2aTaskKeys = ['reply_state', 'blocking_timeout'].filter((member) => table[member] !== undefined);
    if (a2a !== undefined) {
      if (!isHttpUrl(a2a)) throw new ConfigError(`${key}.a2a`, `${key}.a2a must be an http:// or https:// URL, got ${quote(a2a)}`);
      // Toq peers talk to an A2A upstream; its own task states and timing are the upstream's.
      if (a2aTaskKeys.length > 0) {
        throw new ConfigError(`${key}.${a2aTaskKeys[0]}`, `[${key}] is an a2a upstream; reply_state and blocking_timeout apply to toq upstreams (toq = "toq://...") only`);
      }
      if (auth !== undefined && authEnv !== undefined) {
        throw new ConfigError(`${key}.auth`, `[${key}] sets both auth and auth_env; keep one`);
      }
      if (auth === '') throw new ConfigError(`${key}.auth`, `${key}.auth must be a non-empty Authorization header value (e.g. "Bearer ..."), got ""`);
      if (authEnv !== undefined && !AUTH_ENV_NAME.test(authEnv)) {
        throw new ConfigError(`${key}.auth_env`, `${key}.auth_env must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got ${quote(authEnv)}`);
      }
      agents.push(Object.freeze({ kind: 'a2a' as const, name, a2a, ...(auth === undefined ? {} : { auth }), ...(authEnv === undefined ? {} : { authEnv }) }));
    } else if (toq !== undefined) {
      if (auth !== undefined || authEnv !== undefined) {
        throw new ConfigError(`${key}.auth`, `[${key}] is a toq upstream; auth and auth_env apply to a2a upstreams only`);
      }
      const parsed = tryParseAddress(toq);
      if (!parsed.ok) throw new ConfigError(`${key}.toq`, `${key}.toq must be a toq address toq://host[:port]/name, got ${quote(toq)} (${parsed.message})`);
      const replyState = readAgentReplyState(key, table['reply_state'] as string | undefined);
      const blockingTimeout = readAgentBlockingTimeout(key, table['blocking_timeout']);
      agents.push(Object.freeze({ kind: 'toq' as const, name, toq, ...(replyState !== undefined && { replyState }), ...(blockingTimeout !== undefined && { blockingTimeout }) }));
    }
  }
  return Object.freeze(agents);
}

function readAgentReplyState(key: string, value: string | undefined): A2aReplyState | undefined {
  if (value === undefined) return undefined;
  if (!(A2A_REPLY_STATES as readonly string[]).includes(value)) {
    throw new ConfigError(`${key}.reply_state`, `${key}.reply_state must be one of ${A2A_REPLY_STATES.join(', ')}, got ${quote(value)}`);
  }
  return value as A2aReplyState;
}

function readAgentBlockingTimeout(key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'bigint' || value < A2A_BLOCKING_TIMEOUT_MIN_S || value > A2A_BLOCKING_TIMEOUT_MAX_S) {
    throw new ConfigError(`${key}.blocking_timeout`, `${key}.blocking_timeout must be an integer from ${A2A_BLOCKING_TIMEOUT_MIN_S} to ${A2A_BLOCKING_TIMEOUT_MAX_S} (seconds), got ${describeValue(value)}`);
  }
  return Number(value);
}

function warnUnknownMembers(table: Record<string, unknown>, known: readonly string[], prefix: string, warn: ConfigWarn): void {
  for (const member of Object.keys(table)) {
    if (!known.includes(member)) warn({ key: `${prefix}.${member}`, message: `unknown key "${member}" in [${prefix}] ignored` });
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    // Not a URL at all.
    return false;
  }
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof TomlDate);
}

/** How an error message shows a value the file gave: the value, and its TOML type when that is the problem. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    const text = Number.isInteger(value) ? value.toFixed(1) : String(value);
    return `${text} (a float)`;
  }
  if (typeof value === 'string') return `${quote(value)} (a string)`;
  if (typeof value === 'boolean') return `${value} (a boolean)`;
  if (value instanceof TomlDate) return `${value.toISOString()} (a date-time)`;
  if (Array.isArray(value)) return 'an array';
  return 'a table';
}

function quote(text: string): string {
  const cut = text.length > QUOTE_MAX_CHARS ? `${text.slice(0, QUOTE_MAX_CHARS)}...` : text;
  return JSON.stringify(cut);
}

/** The closest known key within edit distance 2, for "did you mean". */
function suggestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_TOP_LEVEL_KEYS) {
    const distance = editDistance(key, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
