// One HTTP exchange with the server under test, as the checks see it (status, headers, JSON body
// or SSE events), and the judge of one `expect` block of fixtures/a2a/checks.json against it,
// including the SSE rules (a2a-notes §6). Pure: no fetch here (a2a-check-runner.ts does that).

import type { A2aExpect, SseRule } from './a2a-checks.js';
import { checkMatchers, deepEqual, show, type MatcherSets } from './a2a-matchers.js';
import type { SseEvent } from './sse-reader.js';

export interface A2aOutcome {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The media type without parameters, lower case; "" when absent. */
  readonly mediaType: string;
  readonly text: string;
  /** The parsed body; undefined when it is not JSON (or was a stream). */
  readonly json?: unknown;
  /** Set when the body was an event stream. */
  readonly events?: readonly SseEvent[];
  /** The server ended the stream before our deadline. */
  readonly isStreamEnded?: boolean;
  /** How long we waited for the stream, for messages. */
  readonly streamWaitMs?: number;
  readonly streamError?: string;
}

export interface JudgeContext {
  /** `rpc` = JSON-RPC with this id; `rpc-envelope` = a body sent as written; `rest`; `card`. */
  readonly binding: 'rpc' | 'rpc-envelope' | 'rest' | 'card';
  readonly rpcId?: number;
  readonly sets: MatcherSets;
  /** States after which a stream must close (defaults.final_states). */
  readonly finalStates: readonly string[];
}

export type Verdict = { readonly ok: true; readonly branch: number } | { readonly ok: false; readonly problem: string };

const STREAM_MEMBERS = ['task', 'message', 'statusUpdate', 'artifactUpdate'] as const;

export function judge(expect: A2aExpect, outcome: A2aOutcome, ctx: JudgeContext): Verdict {
  if (expect.any_of !== undefined) {
    const problems: string[] = [];
    for (const [i, branch] of expect.any_of.entries()) {
      const problem = judgeOne(branch, outcome, ctx);
      if (problem === undefined) return { ok: true, branch: i };
      problems.push(`(${i + 1}) ${problem}`);
    }
    return { ok: false, problem: `no alternative held: ${problems.join('; ')}` };
  }
  const problem = judgeOne(expect, outcome, ctx);
  return problem === undefined ? { ok: true, branch: 0 } : { ok: false, problem };
}

function judgeOne(e: A2aExpect, o: A2aOutcome, ctx: JudgeContext): string | undefined {
  if (e.status !== undefined && o.status !== e.status) return `HTTP ${o.status} (expected ${e.status}): ${describeBody(o)}`;
  if (e.content_type !== undefined) {
    const allowed = typeof e.content_type === 'string' ? [e.content_type] : e.content_type;
    if (!allowed.includes(o.mediaType)) return `Content-Type ${JSON.stringify(o.headers['content-type'] ?? '')}, expected ${allowed.join(' or ')}`;
  }
  if (e.headers !== undefined) {
    const problem = checkMatchers(o.headers, e.headers, ctx.sets);
    if (problem !== undefined) return `header ${problem}`;
  }
  if (e.sse !== undefined) return judgeStream(e.sse.rules, e.sse.first, o, ctx);
  if (e.rpc_error !== undefined || e.rpc_result === true || e.json !== undefined) {
    if (o.events !== undefined) return `an event stream (${o.events.length} event(s)), expected a JSON body`;
    if (o.json === undefined) return `body is not JSON: ${describeBody(o)}`;
  }
  if (e.rpc_error !== undefined) {
    const problem = checkRpcError(o.json, e.rpc_error, ctx);
    if (problem !== undefined) return problem;
  }
  if (e.rpc_result === true) {
    const problem = checkRpcResult(o.json, ctx);
    if (problem !== undefined) return problem;
  }
  if (e.json !== undefined) {
    const problem = checkMatchers(o.json, e.json, ctx.sets);
    if (problem !== undefined) return `${problem} (body ${show(o.json)})`;
  }
  return undefined;
}

function checkRpcError(json: unknown, code: number, ctx: JudgeContext): string | undefined {
  const body = json as Record<string, unknown>;
  const error = body['error'] as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null) return `no JSON-RPC error, expected code ${code}: ${show(json)}`;
  if (error['code'] !== code) return `JSON-RPC error ${show(error['code'])} ${show(error['message'])}, expected ${code}`;
  if (body['jsonrpc'] !== '2.0') return `jsonrpc ${show(body['jsonrpc'])}, expected "2.0"`;
  if (Object.hasOwn(body, 'result')) return 'both result and error present';
  if (ctx.binding === 'rpc' && !deepEqual(body['id'], ctx.rpcId)) return `id ${show(body['id'])}, expected the request's ${ctx.rpcId}`;
  return undefined;
}

function checkRpcResult(json: unknown, ctx: JudgeContext): string | undefined {
  const body = json as Record<string, unknown>;
  if (typeof body['error'] === 'object' && body['error'] !== null) {
    const error = body['error'] as Record<string, unknown>;
    return `JSON-RPC error ${show(error['code'])} ${show(error['message'])}, expected a result`;
  }
  if (!Object.hasOwn(body, 'result')) return `no result: ${show(json)}`;
  if (body['jsonrpc'] !== '2.0') return `jsonrpc ${show(body['jsonrpc'])}, expected "2.0"`;
  if (ctx.binding === 'rpc' && !deepEqual(body['id'], ctx.rpcId)) return `id ${show(body['id'])}, expected the request's ${ctx.rpcId}`;
  return undefined;
}

interface StreamItem {
  readonly member: string;
  readonly value: Record<string, unknown>;
}

/** a2a-notes §6: the shapes a stream may take and when it must end. */
function judgeStream(rules: readonly SseRule[], first: A2aExpect['json'], o: A2aOutcome, ctx: JudgeContext): string | undefined {
  if (o.events === undefined) return `not an event stream (HTTP ${o.status}, Content-Type ${JSON.stringify(o.headers['content-type'] ?? '')}): ${describeBody(o)}`;
  if (o.streamError !== undefined) return `stream broke: ${o.streamError}`;
  const events = o.events;
  if (events.length === 0) return o.isStreamEnded === true ? 'the stream ended without an event' : `no event within ${o.streamWaitMs} ms`;
  const parsed: unknown[] = [];
  for (const [i, event] of events.entries()) {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return `event ${i} data is not JSON: ${show(event.data)}`;
    }
    parsed.push(data);
  }
  if (first !== undefined) {
    const problem = checkMatchers(parsed[0], first, ctx.sets);
    if (problem !== undefined) return `first event: ${problem} (event ${show(parsed[0])})`;
  }
  const items: StreamItem[] = [];
  for (const [i, data] of parsed.entries()) {
    let response: unknown = data;
    if (ctx.binding === 'rpc') {
      const body = data as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || body['jsonrpc'] !== '2.0') return `event ${i} is not a JSON-RPC response: ${show(data)}`;
      if (!deepEqual(body['id'], ctx.rpcId)) return `event ${i} id ${show(body['id'])}, expected the request's ${ctx.rpcId}`;
      if (Object.hasOwn(body, 'error')) return `event ${i} is an error: ${show(body['error'])}`;
      response = body['result'];
    } else if (typeof data === 'object' && data !== null && Object.hasOwn(data, 'error')) {
      return `event ${i} is an error: ${show((data as Record<string, unknown>)['error'])}`;
    }
    if (typeof response !== 'object' || response === null || Array.isArray(response)) return `event ${i} is not a StreamResponse object: ${show(data)}`;
    const record = response as Record<string, unknown>;
    const members = STREAM_MEMBERS.filter((m) => Object.hasOwn(record, m));
    if (rules.includes('stream-responses') && members.length !== 1) return `event ${i} holds ${members.length === 0 ? `none of ${STREAM_MEMBERS.join('/')} (keys ${show(Object.keys(record))})` : members.join(' and ')}, expected exactly one of ${STREAM_MEMBERS.join('/')}`;
    const member = members[0] ?? '';
    items.push({ member, value: (record[member] ?? {}) as Record<string, unknown> });
  }

  if (rules.includes('message-alone-or-task-first')) {
    const head = items[0]!;
    if (head.member === 'message' && items.length > 1) return `a message first, then ${items.length - 1} more event(s); a message must be the only event`;
    if (head.member !== 'message' && head.member !== 'task') return `first event is ${head.member}, expected task (or a lone message)`;
  }
  if (rules.includes('same-task')) {
    const taskId = items.find((it) => it.member === 'task')?.value['id'];
    for (const [i, it] of items.entries()) {
      const id = it.member === 'task' ? it.value['id'] : it.member === 'statusUpdate' || it.member === 'artifactUpdate' ? it.value['taskId'] : undefined;
      if (id !== undefined && taskId !== undefined && id !== taskId) return `event ${i} (${it.member}) is for task ${show(id)}, the stream's task is ${show(taskId)}`;
    }
  }
  if (rules.includes('no-v03-fields')) {
    for (const [i, it] of items.entries()) {
      if (Object.hasOwn(it.value, 'kind')) return `event ${i} (${it.member}) carries the v0.3 field kind`;
      if (it.member === 'statusUpdate' && Object.hasOwn(it.value, 'final')) return `event ${i} (statusUpdate) carries the v0.3 field final (v1.0 ends a stream by closing it)`;
    }
  }
  if (rules.includes('closes-after-final')) {
    const finalAt = items.findIndex((it) => it.member === 'message' || ctx.finalStates.includes(stateOf(it) ?? ''));
    if (finalAt === -1) {
      const states = items.map((it) => stateOf(it) ?? it.member).join(', ');
      return o.isStreamEnded === true ? `the stream ended before a final state (events: ${states})` : `no final state within ${o.streamWaitMs} ms (events: ${states})`;
    }
    const after = items.slice(finalAt + 1).find((it) => it.member !== 'task');
    if (after !== undefined) return `a ${after.member} after the final state ${stateOf(items[finalAt]!) ?? 'message'}`;
    if (o.isStreamEnded !== true) return `still open ${o.streamWaitMs} ms after the final state ${stateOf(items[finalAt]!) ?? 'message'}; the server must close the stream`;
  }
  return undefined;
}

function stateOf(item: StreamItem): string | undefined {
  const status = item.value['status'] as Record<string, unknown> | undefined;
  const state = status?.['state'];
  return typeof state === 'string' ? state : undefined;
}

/** A one-line picture of a response, for reports. */
export function describeOutcome(o: A2aOutcome): string {
  if (o.events !== undefined) {
    const kinds = o.events.map((e) => {
      try {
        const data = JSON.parse(e.data) as Record<string, unknown>;
        const response = (typeof data['result'] === 'object' && data['result'] !== null ? data['result'] : data) as Record<string, unknown>;
        const member = STREAM_MEMBERS.find((m) => Object.hasOwn(response, m));
        if (member === undefined) return '?';
        const state = stateOf({ member, value: response[member] as Record<string, unknown> });
        return state === undefined ? member : `${member}(${state})`;
      } catch {
        return '?';
      }
    });
    return `HTTP ${o.status} stream: ${kinds.join(', ')}${o.isStreamEnded === true ? ', closed' : ', still open'}`;
  }
  return `HTTP ${o.status} ${describeBody(o)}`;
}

function describeBody(o: A2aOutcome): string {
  if (o.events !== undefined) return `(event stream, ${o.events.length} event(s))`;
  if (o.json === undefined) return o.text === '' ? '(empty body)' : show(o.text);
  const body = o.json as Record<string, unknown>;
  const error = typeof body === 'object' && body !== null ? (body['error'] as Record<string, unknown> | undefined) : undefined;
  if (typeof error === 'object' && error !== null) return `error ${show(error['code'])} ${show(error['message'])}`;
  return show(o.json);
}
