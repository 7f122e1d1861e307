// Runs one check of fixtures/a2a/checks.json against a discovered server: builds each step's
// HTTP request (JSON-RPC or REST on the card's interface for the step's version, or the card
// URL), sends it with fetch, reads the JSON body or the SSE stream under the check deadline,
// judges it (a2a-outcome.ts), saves variables, and turns the whole into one CaseResult. It
// never decides the exit code and never prints.

import { setTimeout as delay } from 'node:timers/promises';
import type { CaseResult } from '../conformance-report.js';
import type { A2aCheck, A2aChecks, A2aExpect, A2aRequest, A2aStep } from './a2a-checks.js';
import { readPath } from './a2a-matchers.js';
import { describeOutcome, judge, type A2aOutcome, type JudgeContext } from './a2a-outcome.js';
import { substitute, UnsetVariableError } from './a2a-values.js';
import { pickInterface } from './card-discovery.js';
import { readSseEvents, type SseEvent } from './sse-reader.js';

export interface A2aTarget {
  /** Where the card answered. */
  readonly cardUrl: string;
  /** The v1.0 card as fetched during discovery. */
  readonly card: Readonly<Record<string, unknown>>;
  /** The `Authorization` value to send (e.g. `Bearer x`), unless a step says `auth: false`. */
  readonly authorization?: string;
}

export interface RunCheckOptions {
  readonly signal?: AbortSignal;
  /** Source of JSON-RPC ids (unique within a run). */
  readonly nextRpcId: () => number;
}

type StepOutcome = { readonly kind: 'ok'; readonly outcome?: A2aOutcome } | { readonly kind: 'fail'; readonly problem: string } | { readonly kind: 'skip'; readonly reason: string };

interface BuiltRequest {
  readonly url: string;
  readonly init: RequestInit & { headers: Record<string, string> };
  readonly judgeContext: Omit<JudgeContext, 'sets' | 'finalStates'>;
}

export async function runA2aCheck(check: A2aCheck, fixture: A2aChecks, target: A2aTarget, options: RunCheckOptions): Promise<CaseResult> {
  const started = performance.now();
  const result = (status: CaseResult['status'], got: string, step?: number): CaseResult => ({
    id: check.id,
    required: check.required,
    status,
    expected: check.comment,
    got,
    ms: Math.round(performance.now() - started),
    ...(step !== undefined && { step }),
  });

  const unmet = unmetRequirement(check, target.card);
  if (unmet !== undefined) return result('skip', unmet);

  const vars = new Map<string, unknown>([['text', fixture.defaults.text]]);
  const savedBy = new Map<string, number>();
  let last: A2aOutcome | undefined;
  for (const [i, step] of check.steps.entries()) {
    if (step.when !== undefined && vars.get(step.when.var) !== step.when.equals) continue;
    let outcome: StepOutcome;
    try {
      outcome = await runStep(step, fixture, target, vars, options);
    } catch (err) {
      if (err instanceof UnsetVariableError) {
        const from = savedBy.get(err.variable);
        const why = from === undefined ? '' : ` (step ${from} did not yield it: the agent answered without a task?)`;
        return result('skip', `step ${i} needs $${err.variable}${why}`, i);
      }
      if (options.signal?.aborted === true) return result('fail', `the run's deadline passed during step ${i}`, i);
      return result('fail', `request failed: ${(err as Error).message}`, i);
    }
    if (outcome.kind === 'fail') return result('fail', outcome.problem, i);
    if (outcome.kind === 'skip') return result('skip', outcome.reason, i);
    if (outcome.outcome !== undefined) last = outcome.outcome;
    for (const name of Object.keys(step.save ?? {})) savedBy.set(name, i);
  }
  return result('pass', last === undefined ? 'ok' : describeOutcome(last));
}

function unmetRequirement(check: A2aCheck, card: Readonly<Record<string, unknown>>): string | undefined {
  for (const need of check.requires ?? []) {
    if (need === 'streaming') {
      const capabilities = card['capabilities'] as Record<string, unknown> | undefined;
      if (capabilities?.['streaming'] !== true) return 'the card does not declare capabilities.streaming';
    } else if (need === 'security') {
      const requirements = card['securityRequirements'];
      if (!Array.isArray(requirements) || requirements.length === 0) return 'the card declares no securityRequirements';
    }
  }
  return undefined;
}

async function runStep(step: A2aStep, fixture: A2aChecks, target: A2aTarget, vars: Map<string, unknown>, options: RunCheckOptions): Promise<StepOutcome> {
  const expect = substitute(step.expect, vars) as A2aExpect;
  const deadline = step.until === undefined ? 0 : performance.now() + step.until.timeout_ms;
  for (;;) {
    // Built afresh on each attempt: `$uuid` and the JSON-RPC id change.
    const request = substitute(step.request, vars) as A2aRequest;
    const built = buildRequest(request, fixture, target, options);
    if (typeof built === 'string') return { kind: 'skip', reason: built };
    const outcome = await send(built, expect, fixture.defaults.timeout_ms, options.signal);
    const verdict = judge(expect, outcome, { ...built.judgeContext, sets: { final_states: fixture.defaults.final_states }, finalStates: fixture.defaults.final_states });
    if (verdict.ok) {
      save(step, outcome, vars);
      if (step.save_branch !== undefined) vars.set(step.save_branch, verdict.branch);
      return { kind: 'ok', outcome };
    }
    if (step.until === undefined) return { kind: 'fail', problem: verdict.problem };
    if (performance.now() >= deadline) {
      const problem = `not within ${step.until.timeout_ms} ms: ${verdict.problem}`;
      return step.until.otherwise === 'skip' ? { kind: 'skip', reason: `precondition not reached, ${problem}` } : { kind: 'fail', problem };
    }
    await delay(step.until.interval_ms, undefined, options.signal !== undefined ? { signal: options.signal } : {});
  }
}

function save(step: A2aStep, outcome: A2aOutcome, vars: Map<string, unknown>): void {
  for (const [name, path] of Object.entries(step.save ?? {})) {
    const value = path.startsWith('headers.') ? outcome.headers[path.slice('headers.'.length).toLowerCase()] : outcome.json === undefined ? undefined : readPath(outcome.json, path);
    // A path that is missing leaves the variable unset; a later step using it is skipped.
    if (value !== undefined && typeof value !== 'symbol') vars.set(name, value);
  }
}

/** The HTTP request of one step, or why it cannot be built (a skip reason). */
function buildRequest(request: A2aRequest, fixture: A2aChecks, target: A2aTarget, options: RunCheckOptions): BuiltRequest | string {
  const headers: Record<string, string> = {};
  const version = request.interface_version ?? '1.0';
  const a2aVersion = request.a2a_version === undefined ? (request.card === true ? null : fixture.defaults.a2a_version) : request.a2a_version;
  if (a2aVersion !== null) headers['A2A-Version'] = a2aVersion;
  if (request.auth !== false && target.authorization !== undefined && request.card !== true) headers['Authorization'] = target.authorization;
  Object.assign(headers, request.headers ?? {});

  if (request.card === true) {
    return { url: withQuery(target.cardUrl, request.query), init: { method: 'GET', headers: { accept: 'application/json', ...headers } }, judgeContext: { binding: 'card' } };
  }
  if (request.rest !== undefined) {
    const iface = pickInterface(target.card, 'HTTP+JSON', version);
    if (iface === undefined) return `the card lists no HTTP+JSON interface for version ${version}`;
    const base = iface.url.endsWith('/') ? iface.url.slice(0, -1) : iface.url;
    const url = withQuery(withQuery(base + request.rest.path, request.rest.query), request.query);
    const hasBody = request.rest.body !== undefined || request.rest.raw !== undefined;
    const body = request.rest.raw ?? (request.rest.body === undefined ? undefined : JSON.stringify(request.rest.body));
    return {
      url,
      init: { method: request.rest.method, headers: { accept: 'application/json, application/a2a+json, text/event-stream', ...(hasBody && { 'content-type': 'application/json' }), ...headers }, ...(body !== undefined && { body }) },
      judgeContext: { binding: 'rest' },
    };
  }
  const iface = pickInterface(target.card, 'JSONRPC', version);
  if (iface === undefined) return `the card lists no JSONRPC interface for version ${version}`;
  let body: string;
  let judgeContext: BuiltRequest['judgeContext'];
  if (request.rpc !== undefined) {
    const id = options.nextRpcId();
    body = JSON.stringify({ jsonrpc: '2.0', id, method: request.rpc.method, ...(request.rpc.params !== undefined && { params: request.rpc.params }) });
    judgeContext = { binding: 'rpc', rpcId: id };
  } else {
    body = request.rpc_raw ?? JSON.stringify(request.rpc_body);
    judgeContext = { binding: 'rpc-envelope' };
  }
  return { url: withQuery(iface.url, request.query), init: { method: 'POST', headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...headers }, body }, judgeContext };
}

function withQuery(url: string, query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.append(k, v);
  return u.href;
}

function wantsStream(expect: A2aExpect): boolean {
  return expect.sse !== undefined || (expect.any_of ?? []).some(wantsStream);
}

/** Sends and reads the answer; a stream is read until it ends or `timeoutMs` passes. */
async function send(built: BuiltRequest, expect: A2aExpect, timeoutMs: number, runSignal: AbortSignal | undefined): Promise<A2aOutcome> {
  const controller = new AbortController();
  const signal = runSignal === undefined ? controller.signal : AbortSignal.any([controller.signal, runSignal]);
  const timer = setTimeout(() => controller.abort(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
  const started = performance.now();
  try {
    const res = await fetch(built.url, { ...built.init, signal, redirect: 'manual' });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => (headers[key] = value));
    const mediaType = (headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (mediaType === 'text/event-stream' && res.body !== null && wantsStream(expect)) {
      const events: SseEvent[] = [];
      let isStreamEnded = false;
      let streamError: string | undefined;
      try {
        for await (const event of readSseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) events.push(event);
        isStreamEnded = true;
      } catch (err) {
        // Our own deadline ends the read of a stream the server keeps open; anything else is a broken stream.
        if (!controller.signal.aborted || runSignal?.aborted === true) streamError = (err as Error).message;
      }
      return { status: res.status, headers, mediaType, text: '', events, isStreamEnded, streamWaitMs: Math.round(performance.now() - started), ...(streamError !== undefined && { streamError }) };
    }
    const text = await res.text();
    return { status: res.status, headers, mediaType, text, ...parseJson(text) };
  } finally {
    clearTimeout(timer);
  }
}

function parseJson(text: string): { json?: unknown } {
  if (text.trim() === '') return {};
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return {};
  }
}
