// Judging one response against an `expect` block: JSON-RPC result/error rules, any_of branches,
// and the SSE rules of a2a-notes §6 on hand-built streams (each rule made to fail once).

import { describe, expect, it } from 'vitest';
import { judge, type A2aOutcome, type JudgeContext } from '../../../src/conformance/a2a/a2a-outcome.js';

const FINAL = ['TASK_STATE_COMPLETED', 'TASK_STATE_INPUT_REQUIRED'];
const rpc: JudgeContext = { binding: 'rpc', rpcId: 7, sets: { final_states: FINAL }, finalStates: FINAL };
const rest: JudgeContext = { binding: 'rest', sets: {}, finalStates: FINAL };

function json(body: unknown, status = 200): A2aOutcome {
  return { status, headers: { 'content-type': 'application/json' }, mediaType: 'application/json', text: JSON.stringify(body), json: body };
}

function stream(items: unknown[], options: { ended?: boolean; wrap?: boolean } = {}): A2aOutcome {
  const events = items.map((result) => ({ event: 'message', data: JSON.stringify(options.wrap === false ? result : { jsonrpc: '2.0', id: 7, result }) }));
  return { status: 200, headers: { 'content-type': 'text/event-stream' }, mediaType: 'text/event-stream', text: '', events, isStreamEnded: options.ended ?? true, streamWaitMs: 100 };
}

const task = { task: { id: 'T', contextId: 'C', status: { state: 'TASK_STATE_SUBMITTED' } } };
const done = { statusUpdate: { taskId: 'T', contextId: 'C', status: { state: 'TASK_STATE_COMPLETED' } } };
const ALL_RULES = ['stream-responses', 'message-alone-or-task-first', 'same-task', 'no-v03-fields', 'closes-after-final'] as const;

function problemOf(expectBlock: Parameters<typeof judge>[0], outcome: A2aOutcome, ctx = rpc): string | undefined {
  const verdict = judge(expectBlock, outcome, ctx);
  return verdict.ok ? undefined : verdict.problem;
}

describe('JSON-RPC bodies', () => {
  it('rpc_error: the code, jsonrpc 2.0, the request id, no result', () => {
    expect(problemOf({ rpc_error: -32001 }, json({ jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'x' } }))).toBeUndefined();
    expect(problemOf({ rpc_error: -32600 }, json({ jsonrpc: '2.0', id: 7, error: { code: -32602, message: 'Invalid' } }))).toBe('JSON-RPC error -32602 "Invalid", expected -32600');
    expect(problemOf({ rpc_error: -32001 }, json({ jsonrpc: '2.0', id: 8, error: { code: -32001 } }))).toMatch(/^id 8/);
    expect(problemOf({ rpc_error: -32001 }, json({ jsonrpc: '2.0', id: 7, result: {} }))).toMatch(/^no JSON-RPC error/);
  });

  it('rpc_result: a result with the request id, not an error', () => {
    expect(problemOf({ rpc_result: true }, json({ jsonrpc: '2.0', id: 7, result: task }))).toBeUndefined();
    expect(problemOf({ rpc_result: true }, json({ jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'no' } }))).toMatch(/expected a result/);
  });

  it('status and content type come first; a non-JSON body is named', () => {
    expect(problemOf({ status: 200 }, json({}, 401))).toMatch(/^HTTP 401 \(expected 200\)/);
    expect(problemOf({ content_type: ['application/a2a+json'] }, json({}))).toMatch(/Content-Type/);
    expect(problemOf({ rpc_result: true }, { status: 200, headers: {}, mediaType: 'text/html', text: '<html>' })).toBe('body is not JSON: "<html>"');
  });

  it('any_of: the first alternative that holds gives the branch; otherwise every problem is listed', () => {
    const e = { any_of: [{ rpc_error: -32004 }, { rpc_result: true as const }] };
    expect(judge(e, json({ jsonrpc: '2.0', id: 7, result: {} }), rpc)).toEqual({ ok: true, branch: 1 });
    expect(problemOf(e, json({ jsonrpc: '2.0', id: 7, error: { code: -32001 } }))).toMatch(/^no alternative held: \(1\) .*; \(2\) /);
  });
});

describe('SSE rules (a2a-notes §6)', () => {
  const sse = { sse: { rules: ALL_RULES } };

  it('a task, then updates, closed after the final state: holds (JSON-RPC and REST)', () => {
    expect(problemOf(sse, stream([task, done]))).toBeUndefined();
    expect(problemOf(sse, stream([task, done], { wrap: false }), rest)).toBeUndefined();
    expect(problemOf(sse, stream([{ message: { messageId: 'm', role: 'ROLE_AGENT', parts: [{ text: 'x' }] } }]))).toBeUndefined();
  });

  it('a final task snapshot after the final state is allowed', () => {
    expect(problemOf(sse, stream([task, done, { task: { ...task.task, status: { state: 'TASK_STATE_COMPLETED' } } }]))).toBeUndefined();
  });

  const broken: Array<[string, A2aOutcome, RegExp]> = [
    ['a JSON body instead of a stream', json({ jsonrpc: '2.0', id: 7, error: { code: -32001 } }), /^not an event stream/],
    ['two members in one event', stream([{ ...task, ...done }]), /holds task and statusUpdate/],
    ['first event not a task', stream([done]), /first event is statusUpdate/],
    ['a message followed by more', stream([{ message: { messageId: 'm' } }, done]), /must be the only event/],
    ['an update for another task', stream([task, { statusUpdate: { ...done.statusUpdate, taskId: 'U' } }]), /for task "U"/],
    ['v0.3 final field', stream([task, { statusUpdate: { ...done.statusUpdate, final: true } }]), /field final/],
    ['v0.3 kind field', stream([{ task: { ...task.task, kind: 'task' } }, done]), /field kind/],
    ['left open after the final state', stream([task, done], { ended: false }), /still open 100 ms after the final state/],
    ['ended before a final state', stream([task]), /ended before a final state/],
    ['an update after the final state', stream([task, done, done]), /a statusUpdate after the final state/],
    ['an event with another id', { ...stream([task]), events: [{ event: 'message', data: '{"jsonrpc":"2.0","id":8,"result":{}}' }] }, /id 8/],
    ['an error event', { ...stream([task]), events: [{ event: 'error', data: '{"jsonrpc":"2.0","id":7,"error":{"code":-32603}}' }] }, /is an error/],
    ['no event at all', stream([]), /without an event/],
  ];
  for (const [name, outcome, pattern] of broken) {
    it(`fails: ${name}`, () => {
      expect(problemOf(sse, outcome)).toMatch(pattern);
    });
  }

  it('first: matchers on the first event', () => {
    expect(problemOf({ sse: { rules: [], first: { 'result.task.id': { equals: 'T' } } } }, stream([task, done]))).toBeUndefined();
    expect(problemOf({ sse: { rules: [], first: { 'result.task.id': { equals: 'X' } } } }, stream([task, done]))).toMatch(/^first event: result.task.id/);
  });
});
