// The session-script fixture format (fixtures/toq/session-scripts.json, documented in
// fixtures/README.md): types, a strict validator, and the loader. A malformed script is our own
// bug, so it is a TypeError naming the case and step; nothing here touches a socket.

import { readFileSync } from 'node:fs';
import { sentReferences } from './script-values.js';

/** A JSON value as written in the fixture (tokens such as "$new" are resolved at run time). */
export type ScriptValue = null | boolean | number | string | ScriptValue[] | { [key: string]: ScriptValue };

export interface SendStep {
  /** Any type string; unknown ones are signed as written (the unknown-type probe). */
  readonly type: string;
  readonly body?: ScriptValue;
  readonly thread_id?: string;
  readonly reply_to?: string;
  readonly content_type?: string;
  /** Our handshake address unless given ("$self"). */
  readonly from?: string;
  /** [the peer's handshake address] unless given. */
  readonly to?: readonly string[];
  /** "next" (default): one above the last we sent; "repeat-last": the same as the last; or a number. */
  readonly sequence?: 'next' | 'repeat-last' | number;
  /** "new" (default): a fresh UUID; "repeat:N": the id of the envelope sent at step N. */
  readonly id?: string;
  /** Flip one bit of the signature after signing. */
  readonly corrupt_signature?: boolean;
}

export interface ExpectStep {
  readonly type: string;
  /** Dotted path into the received envelope → expected value or operator (see script-values.ts). */
  readonly match?: Readonly<Record<string, ScriptValue>>;
  readonly within_ms?: number;
}

export type ScriptStep =
  | { readonly send: SendStep }
  | { readonly expect: ExpectStep }
  | { readonly expect_no_frame: { readonly within_ms: number } }
  | { readonly expect_close: { readonly within_ms?: number; readonly allow_frames?: boolean } }
  | { readonly send_raw_hex: string }
  | { readonly send_frame_length: number };

export type SetupOutcome = 'established' | 'error' | 'negotiate.reject' | 'pending' | 'closed';

export interface ScriptCase {
  readonly id: string;
  readonly comment: string;
  readonly required: boolean;
  readonly setup?: {
    /** Default: the agent name of the address under test. */
    readonly target_agent?: string;
    /** Default: ["0.1"]. */
    readonly supported_versions?: readonly string[];
  };
  /** Default: { outcome: "established" } with no match. */
  readonly expect_setup?: { readonly outcome: SetupOutcome; readonly match?: Readonly<Record<string, ScriptValue>> };
  readonly steps: readonly ScriptStep[];
}

export interface SessionScripts {
  readonly description: string;
  readonly spec: string;
  readonly defaults: { readonly within_ms: number };
  readonly cases: readonly ScriptCase[];
}

/** fixtures/toq/session-scripts.json, found from this module both in src/ and in dist/. */
export const SESSION_SCRIPTS_URL = new URL('../../fixtures/toq/session-scripts.json', import.meta.url);

export function loadSessionScripts(path: URL | string = SESSION_SCRIPTS_URL): SessionScripts {
  return parseSessionScripts(JSON.parse(readFileSync(path, 'utf8')) as unknown);
}

const STEP_KINDS = ['send', 'expect', 'expect_no_frame', 'expect_close', 'send_raw_hex', 'send_frame_length'] as const;
const OUTCOMES: readonly SetupOutcome[] = ['established', 'error', 'negotiate.reject', 'pending', 'closed'];
const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_WITHIN_MS = 60_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkWithin(v: unknown, where: string, required: boolean): void {
  if (v === undefined && !required) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_WITHIN_MS) {
    throw new TypeError(`${where}: within_ms must be an integer from 0 to ${MAX_WITHIN_MS}`);
  }
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) throw new TypeError(`${where}: unknown member "${key}"`);
}

function checkSend(send: unknown, where: string, index: number): void {
  if (!isRecord(send)) throw new TypeError(`${where}: send must be an object`);
  checkKeys(send, ['type', 'body', 'thread_id', 'reply_to', 'content_type', 'from', 'to', 'sequence', 'id', 'corrupt_signature'], where);
  if (typeof send.type !== 'string' || send.type === '') throw new TypeError(`${where}: send.type must be a string`);
  for (const k of ['thread_id', 'reply_to', 'content_type', 'from'] as const) {
    if (send[k] !== undefined && typeof send[k] !== 'string') throw new TypeError(`${where}: send.${k} must be a string`);
  }
  if (send.to !== undefined && !(Array.isArray(send.to) && send.to.every((t) => typeof t === 'string'))) {
    throw new TypeError(`${where}: send.to must be an array of strings`);
  }
  const seq = send.sequence;
  if (seq !== undefined && seq !== 'next' && seq !== 'repeat-last' && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0)) {
    throw new TypeError(`${where}: send.sequence must be "next", "repeat-last" or a non-negative integer`);
  }
  if (send.id !== undefined) {
    const m = typeof send.id === 'string' ? /^repeat:(\d+)$/.exec(send.id) : null;
    if (send.id !== 'new' && (m === null || Number(m[1]) >= index)) {
      throw new TypeError(`${where}: send.id must be "new" or "repeat:N" with N an earlier step`);
    }
  }
  if (send.corrupt_signature !== undefined && typeof send.corrupt_signature !== 'boolean') {
    throw new TypeError(`${where}: send.corrupt_signature must be a boolean`);
  }
}

function checkMatch(match: unknown, where: string): void {
  if (match === undefined) return;
  if (!isRecord(match)) throw new TypeError(`${where}: match must be an object of path → value`);
}

function checkStep(step: unknown, where: string, index: number): void {
  if (!isRecord(step)) throw new TypeError(`${where}: a step must be an object`);
  const kinds = Object.keys(step);
  if (kinds.length !== 1 || !(STEP_KINDS as readonly string[]).includes(kinds[0]!)) {
    throw new TypeError(`${where}: a step has exactly one of ${STEP_KINDS.join(', ')}`);
  }
  if ('send' in step) checkSend(step.send, where, index);
  else if ('expect' in step) {
    const e = step.expect;
    if (!isRecord(e) || typeof e.type !== 'string') throw new TypeError(`${where}: expect needs a type`);
    checkKeys(e, ['type', 'match', 'within_ms'], where);
    checkMatch(e.match, where);
    checkWithin(e.within_ms, where, false);
  } else if ('expect_no_frame' in step) {
    const e = step.expect_no_frame;
    if (!isRecord(e)) throw new TypeError(`${where}: expect_no_frame must be an object`);
    checkWithin(e.within_ms, where, true);
  } else if ('expect_close' in step) {
    const e = step.expect_close;
    if (!isRecord(e)) throw new TypeError(`${where}: expect_close must be an object`);
    checkKeys(e, ['within_ms', 'allow_frames'], where);
    checkWithin(e.within_ms, where, false);
  } else if ('send_raw_hex' in step) {
    if (typeof step.send_raw_hex !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(step.send_raw_hex)) {
      throw new TypeError(`${where}: send_raw_hex must be lowercase hex bytes`);
    }
  } else {
    const n = step.send_frame_length;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`${where}: send_frame_length must be a u32`);
  }
}

/** Validates a parsed session-scripts document; returns it typed. */
export function parseSessionScripts(doc: unknown): SessionScripts {
  if (!isRecord(doc)) throw new TypeError('session scripts: the document must be an object');
  if (typeof doc.description !== 'string' || typeof doc.spec !== 'string') throw new TypeError('session scripts: description and spec are required');
  const defaults = isRecord(doc.defaults) ? doc.defaults : {};
  checkWithin(defaults.within_ms, 'session scripts defaults', true);
  if (!Array.isArray(doc.cases)) throw new TypeError('session scripts: cases must be an array');
  const seen = new Set<string>();
  for (const c of doc.cases as unknown[]) {
    if (!isRecord(c) || typeof c.id !== 'string' || !ID.test(c.id)) throw new TypeError(`session scripts: case ids must be kebab-case strings`);
    const where = `case ${c.id}`;
    if (seen.has(c.id)) throw new TypeError(`${where}: duplicate id`);
    seen.add(c.id);
    checkKeys(c, ['id', 'comment', 'required', 'setup', 'expect_setup', 'steps'], where);
    if (typeof c.comment !== 'string' || typeof c.required !== 'boolean') throw new TypeError(`${where}: comment and required are mandatory`);
    if (c.setup !== undefined) {
      if (!isRecord(c.setup)) throw new TypeError(`${where}: setup must be an object`);
      checkKeys(c.setup, ['target_agent', 'supported_versions'], where);
      if (c.setup.target_agent !== undefined && typeof c.setup.target_agent !== 'string') throw new TypeError(`${where}: setup.target_agent must be a string`);
      const v = c.setup.supported_versions;
      if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw new TypeError(`${where}: setup.supported_versions must be strings`);
    }
    if (c.expect_setup !== undefined) {
      if (!isRecord(c.expect_setup) || !OUTCOMES.includes(c.expect_setup.outcome as SetupOutcome)) {
        throw new TypeError(`${where}: expect_setup.outcome must be one of ${OUTCOMES.join(', ')}`);
      }
      checkMatch(c.expect_setup.match, where);
    }
    if (!Array.isArray(c.steps)) throw new TypeError(`${where}: steps must be an array`);
    const steps = c.steps as unknown[];
    steps.forEach((step, i) => {
      checkStep(step, `${where} step ${i}`, i);
      for (const n of sentReferences(step)) {
        if (n >= i || !isRecord(steps[n]) || !('send' in (steps[n] as object))) {
          throw new TypeError(`${where} step ${i}: $sent:${n} must name an earlier send step`);
        }
      }
    });
    const outcome = (c.expect_setup as { outcome?: string } | undefined)?.outcome ?? 'established';
    if (outcome !== 'established' && (c.steps as unknown[]).length > 0) throw new TypeError(`${where}: steps need an established setup`);
  }
  return doc as unknown as SessionScripts;
}
