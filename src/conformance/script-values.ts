// Value tokens and match operators of the session-script format (fixtures/README.md, 'Session
// scripts'): "$new", "$self", "$peer", "$peer_key", "$target_name", "$sent:N.path" in values;
// {"$exists"}, {"$type"}, {"$startsWith"}, {"$contains"}, {"$template"} in matches; and the plain
// JSON view of a received envelope that matches are evaluated on. Pure: no I/O.

import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../protocol/canonical-json.js';
import type { Envelope } from '../protocol/envelope.js';
import type { JsonValue } from '../protocol/json-value.js';
import type { ScriptValue } from './session-script.js';

/** What tokens resolve against while one case runs. */
export interface ScriptScope {
  /** Our handshake address, canonical. */
  readonly self: string;
  /** The peer's handshake address, canonical (undefined before the handshake answered). */
  readonly peer?: string;
  readonly peerKey?: string;
  /** The agent name of the address under test. */
  readonly targetName: string;
  /** Plain views of the envelopes we sent, by step index. */
  readonly sent: ReadonlyMap<number, PlainJson>;
  /** @default node:crypto randomUUID */
  readonly newId?: () => string;
}

export type PlainJson = null | boolean | number | string | PlainJson[] | { [key: string]: PlainJson };

const SENT_REF = /^\$sent:(\d+)(?:\.(.+))?$/;

/** Step indexes named by "$sent:N..." tokens anywhere in `value` (for the fixture validator). */
export function sentReferences(value: unknown): number[] {
  if (typeof value === 'string') {
    const m = SENT_REF.exec(value);
    return m ? [Number(m[1])] : [];
  }
  if (Array.isArray(value)) return value.flatMap(sentReferences);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(sentReferences);
  return [];
}

/** The value at a dotted path ("body.ack_id", "to.0"); undefined when any part is missing. */
export function valueAt(root: PlainJson | undefined, path: string): PlainJson | undefined {
  let current: PlainJson | undefined = root;
  for (const part of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(part)) return undefined;
      current = current[Number(part)];
    } else {
      current = Object.prototype.hasOwnProperty.call(current, part) ? current[part] : undefined;
    }
  }
  return current;
}

/** Resolves one token string; other strings are returned as written. A token that cannot resolve is a RangeError. */
function resolveToken(text: string, scope: ScriptScope): PlainJson {
  if (!text.startsWith('$')) return text;
  switch (text) {
    case '$new':
      return (scope.newId ?? randomUUID)();
    case '$self':
      return scope.self;
    case '$peer':
      if (scope.peer === undefined) throw new RangeError('$peer used before the peer answered the handshake');
      return scope.peer;
    case '$peer_key':
      if (scope.peerKey === undefined) throw new RangeError('$peer_key used before the peer answered the handshake');
      return scope.peerKey;
    case '$target_name':
      return scope.targetName;
  }
  const m = SENT_REF.exec(text);
  if (m === null) throw new RangeError(`unknown token ${text}`);
  const sent = scope.sent.get(Number(m[1]));
  if (sent === undefined) throw new RangeError(`${text}: step ${m[1]} sent nothing`);
  const value = m[2] === undefined ? sent : valueAt(sent, m[2]);
  if (value === undefined) throw new RangeError(`${text}: the envelope of step ${m[1]} has no ${m[2]}`);
  return value;
}

/** A fixture value with every token replaced (recursively through arrays and objects). */
export function resolveValue(value: ScriptValue, scope: ScriptScope): PlainJson {
  if (typeof value === 'string') return resolveToken(value, scope);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: PlainJson } = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, scope);
    return out;
  }
  return value;
}

function templateText(template: string, scope: ScriptScope): string {
  return template.replace(/\{(target_name|self|peer|peer_key)\}/g, (_, name: string) => {
    const v = name === 'target_name' ? scope.targetName : name === 'self' ? scope.self : name === 'peer' ? scope.peer : scope.peerKey;
    if (v === undefined) throw new RangeError(`{${name}} is not known yet`);
    return v;
  });
}

function typeName(v: PlainJson | undefined): string {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Deep equality of plain JSON (object member order ignored). */
export function plainEquals(a: PlainJson | undefined, b: PlainJson | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => plainEquals(v, b[i]));
  const ak = Object.keys(a as object);
  const bo = b as { [key: string]: PlainJson };
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && plainEquals((a as { [key: string]: PlainJson })[k], bo[k]));
}

/** Short text of a value for reports. */
export function show(v: PlainJson | undefined): string {
  if (v === undefined) return '(absent)';
  const text = JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function isOperator(v: ScriptValue): v is { [key: string]: ScriptValue } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0]!.startsWith('$');
}

/**
 * Checks one expected value (literal with tokens, or an operator) against an actual one.
 * Returns undefined when it matches, else a description of what was expected.
 */
export function matchValue(expected: ScriptValue, actual: PlainJson | undefined, scope: ScriptScope): string | undefined {
  if (isOperator(expected)) {
    const [op, arg] = Object.entries(expected)[0]!;
    switch (op) {
      case '$exists':
        return (actual !== undefined) === (arg === true) ? undefined : arg === true ? 'present' : 'absent';
      case '$type':
        return typeName(actual) === arg ? undefined : `a ${String(arg)}`;
      case '$startsWith':
        return typeof actual === 'string' && typeof arg === 'string' && actual.startsWith(arg) ? undefined : `a string starting with ${JSON.stringify(arg)}`;
      case '$contains':
        return typeof actual === 'string' && typeof arg === 'string' && actual.includes(arg) ? undefined : `a string containing ${JSON.stringify(arg)}`;
      case '$template': {
        const text = templateText(String(arg), scope);
        return actual === text ? undefined : JSON.stringify(text);
      }
      default:
        throw new RangeError(`unknown match operator ${op}`);
    }
  }
  const want = resolveValue(expected, scope);
  return plainEquals(want, actual) ? undefined : show(want);
}

/** What a match asks for, in words: `body.ack_id = "…", thread_id absent`. */
export function describeMatch(match: Readonly<Record<string, ScriptValue>> | undefined, scope: ScriptScope): string {
  return Object.entries(match ?? {})
    .map(([path, expected]) => {
      if (isOperator(expected)) {
        const [op, arg] = Object.entries(expected)[0]!;
        if (op === '$exists') return `${path} ${arg === true ? 'present' : 'absent'}`;
        if (op === '$type') return `${path} a ${String(arg)}`;
        if (op === '$template') return `${path} = ${JSON.stringify(templateText(String(arg), scope))}`;
        return `${path} ${op.slice(1)} ${JSON.stringify(arg)}`;
      }
      return `${path} = ${show(resolveValue(expected, scope))}`;
    })
    .join(', ');
}

export interface Mismatch {
  readonly path: string;
  readonly expected: string;
  readonly got: string;
}

/** Every path of `match` that does not hold on `view`, in fixture order. */
export function matchAll(view: PlainJson, match: Readonly<Record<string, ScriptValue>> | undefined, scope: ScriptScope): Mismatch[] {
  const out: Mismatch[] = [];
  for (const [path, expected] of Object.entries(match ?? {})) {
    const actual = valueAt(view, path);
    const problem = matchValue(expected, actual, scope);
    if (problem !== undefined) out.push({ path, expected: problem, got: show(actual) });
  }
  return out;
}

/** A parsed JSON value (lexeme-keeping numbers) as plain JSON; numbers become JS numbers. */
export function toPlain(value: JsonValue | undefined): PlainJson | undefined {
  if (value === undefined) return undefined;
  return JSON.parse(canonicalJson(value)) as PlainJson;
}

/**
 * The envelope as the match paths see it: the re-rendered fields (§5.2: id lowercase, addresses
 * canonical), absent optionals absent, `sequence`/`ttl` as numbers, `body` as plain JSON.
 */
export function envelopeView(env: Envelope): { [key: string]: PlainJson } {
  const view: { [key: string]: PlainJson } = {
    version: env.version,
    id: env.id,
    type: env.type,
    from: env.from,
    to: [...env.to],
    sequence: Number(env.sequence),
    timestamp: env.timestamp,
    signature: env.signature,
  };
  if (env.thread_id !== undefined) view.thread_id = env.thread_id;
  if (env.reply_to !== undefined) view.reply_to = env.reply_to;
  if (env.priority !== undefined) view.priority = env.priority;
  if (env.content_type !== undefined) view.content_type = env.content_type;
  if (env.ttl !== undefined) view.ttl = Number(env.ttl);
  if (env.compression !== undefined) view.compression = env.compression;
  if (env.e2e_nonce !== undefined) view.e2e_nonce = env.e2e_nonce;
  const body = toPlain(env.body);
  if (body !== undefined && body !== null) view.body = body;
  return view;
}
