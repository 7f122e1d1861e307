// The A2A check fixture (fixtures/a2a/checks.json, documented in fixtures/README.md): types, a
// validator, and the loader. A malformed fixture is our own bug, so it is a TypeError naming the
// check, never a report line. Knows nothing of sockets.

import { readFileSync } from 'node:fs';
import type { Matchers } from './a2a-matchers.js';

/** fixtures/a2a/checks.json, found from this module both in src/ and in dist/. */
export const A2A_CHECKS_URL = new URL('../../../fixtures/a2a/checks.json', import.meta.url);

/** What a check needs from the card before it can run; unmet = the check is skipped. */
export type A2aRequirement = 'streaming' | 'security';

export interface A2aRequest {
  /** GET the discovered card URL. */
  readonly card?: true;
  /** A JSON-RPC call; the runner adds `jsonrpc` and a fresh integer `id`. */
  readonly rpc?: { readonly method: string; readonly params?: unknown };
  /** A whole JSON-RPC body sent as written (for envelope errors). */
  readonly rpc_body?: unknown;
  /** Raw JSON-RPC body text (for parse errors). */
  readonly rpc_raw?: string;
  /** A REST call, relative to the HTTP+JSON interface URL. */
  readonly rest?: { readonly method: string; readonly path: string; readonly query?: Readonly<Record<string, string>>; readonly body?: unknown; readonly raw?: string };
  /** Extra headers (exact names as sent). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Query parameters added to the URL. */
  readonly query?: Readonly<Record<string, string>>;
  /** The A2A-Version header; null = none. @default defaults.a2a_version (not for `card`) */
  readonly a2a_version?: string | null;
  /** Which card interface version to call. @default "1.0" */
  readonly interface_version?: string;
  /** false = send no credentials even when the run has some. @default true */
  readonly auth?: boolean;
}

export type SseRule = 'stream-responses' | 'message-alone-or-task-first' | 'same-task' | 'no-v03-fields' | 'closes-after-final';

export interface A2aExpect {
  readonly status?: number;
  /** Media type (parameters ignored), or a list of acceptable ones. */
  readonly content_type?: string | readonly string[];
  readonly headers?: Matchers;
  readonly json?: Matchers;
  /** A JSON-RPC error response with this code (and the request's id, unless the envelope was invalid). */
  readonly rpc_error?: number;
  /** A JSON-RPC success response with the request's id. */
  readonly rpc_result?: true;
  readonly sse?: { readonly rules: readonly SseRule[]; readonly first?: Matchers };
  /** Alternatives: the first that holds wins (its index can be saved with `save_branch`). */
  readonly any_of?: readonly A2aExpect[];
}

export interface A2aStep {
  readonly request: A2aRequest;
  readonly expect: A2aExpect;
  /** Variable name → path into the JSON body (`headers.<name>` for a response header). */
  readonly save?: Readonly<Record<string, string>>;
  /** Saves the index of the `any_of` branch that held. */
  readonly save_branch?: string;
  /** Run the step only when a variable has this value; otherwise it is passed over. */
  readonly when?: { readonly var: string; readonly equals: unknown };
  /** Repeat the step until `expect` holds; `otherwise: "skip"` turns a timeout into a skipped check. */
  readonly until?: { readonly timeout_ms: number; readonly interval_ms: number; readonly otherwise?: 'fail' | 'skip' };
}

export interface A2aCheck {
  readonly id: string;
  readonly comment: string;
  readonly required: boolean;
  readonly spec: string;
  readonly requires?: readonly A2aRequirement[];
  readonly steps: readonly A2aStep[];
}

export interface A2aChecks {
  readonly description: string;
  readonly spec: string;
  readonly defaults: {
    readonly a2a_version: string;
    readonly timeout_ms: number;
    readonly text: string;
    readonly final_states: readonly string[];
  };
  readonly checks: readonly A2aCheck[];
}

const REQUEST_KINDS = ['card', 'rpc', 'rpc_body', 'rpc_raw', 'rest'] as const;
const SSE_RULES: readonly string[] = ['stream-responses', 'message-alone-or-task-first', 'same-task', 'no-v03-fields', 'closes-after-final'];
const REQUIREMENTS: readonly string[] = ['streaming', 'security'];

export function parseA2aChecks(value: unknown): A2aChecks {
  if (!isObject(value)) throw new TypeError('A2A checks: not a JSON object');
  const defaults = value['defaults'];
  if (!isObject(defaults) || typeof defaults['a2a_version'] !== 'string' || typeof defaults['timeout_ms'] !== 'number' || typeof defaults['text'] !== 'string' || !Array.isArray(defaults['final_states'])) {
    throw new TypeError('A2A checks: defaults needs a2a_version, timeout_ms, text and final_states');
  }
  const checks = value['checks'];
  if (!Array.isArray(checks) || checks.length === 0) throw new TypeError('A2A checks: checks must be a non-empty array');
  const seen = new Set<string>();
  for (const check of checks) {
    if (!isObject(check) || typeof check['id'] !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(check['id'])) throw new TypeError(`A2A checks: bad id ${JSON.stringify(isObject(check) ? check['id'] : check)}`);
    const id = check['id'];
    if (seen.has(id)) throw new TypeError(`A2A checks: duplicate id ${id}`);
    seen.add(id);
    if (typeof check['comment'] !== 'string' || typeof check['spec'] !== 'string' || typeof check['required'] !== 'boolean') throw new TypeError(`A2A check ${id}: needs comment, spec and required`);
    const requires = check['requires'];
    if (requires !== undefined && (!Array.isArray(requires) || requires.some((r) => !REQUIREMENTS.includes(r as string)))) throw new TypeError(`A2A check ${id}: requires must list ${REQUIREMENTS.join(', ')}`);
    const steps = check['steps'];
    if (!Array.isArray(steps) || steps.length === 0) throw new TypeError(`A2A check ${id}: steps must be a non-empty array`);
    steps.forEach((step, i) => checkStep(id, i, step));
  }
  return value as unknown as A2aChecks;
}

function checkStep(id: string, i: number, step: unknown): void {
  const where = `A2A check ${id} step ${i}`;
  if (!isObject(step) || !isObject(step['request']) || !isObject(step['expect'])) throw new TypeError(`${where}: needs request and expect objects`);
  const kinds = REQUEST_KINDS.filter((k) => step['request'] !== undefined && Object.hasOwn(step['request'] as object, k));
  if (kinds.length !== 1) throw new TypeError(`${where}: request needs exactly one of ${REQUEST_KINDS.join(', ')}`);
  checkExpect(where, step['expect']);
  const until = step['until'];
  if (until !== undefined && (!isObject(until) || typeof until['timeout_ms'] !== 'number' || typeof until['interval_ms'] !== 'number')) throw new TypeError(`${where}: until needs timeout_ms and interval_ms`);
}

function checkExpect(where: string, expect: Record<string, unknown>): void {
  const anyOf = expect['any_of'];
  if (anyOf !== undefined) {
    if (!Array.isArray(anyOf) || anyOf.length === 0) throw new TypeError(`${where}: any_of must be a non-empty array`);
    for (const branch of anyOf) {
      if (!isObject(branch)) throw new TypeError(`${where}: any_of holds a non-object`);
      checkExpect(where, branch);
    }
  }
  const sse = expect['sse'];
  if (sse !== undefined && (!isObject(sse) || !Array.isArray(sse['rules']) || sse['rules'].some((r) => !SSE_RULES.includes(r as string)))) throw new TypeError(`${where}: sse.rules must list ${SSE_RULES.join(', ')}`);
}

let cached: A2aChecks | undefined;

/** The fixture file, parsed and validated once. */
export function loadA2aChecks(): A2aChecks {
  cached ??= parseA2aChecks(JSON.parse(readFileSync(A2A_CHECKS_URL, 'utf8')));
  return cached;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
