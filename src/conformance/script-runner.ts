// Runs one session-script case against a live toq receiver: a fresh TCP + TLS connection, our
// real InitiatorSetup through runSetup (with a FrameTap recording the receiver's setup frames),
// the setup expectation, then the steps with raw frames. Every wait has a deadline. It reports;
// it never throws for anything the peer does, and never retries.

import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { canonicalAddress, parseAddress } from '../protocol/address.js';
import { decodeBase64Strict, encodeBase64 } from '../protocol/base64.js';
import { buildLocalCard } from '../protocol/card.js';
import { KEY_PREFIX } from '../protocol/constants.js';
import { signToText, type Identity } from '../protocol/ed25519.js';
import {
  createEnvelope,
  envelopeSigningBytes,
  parseEnvelope,
  serializeEnvelope,
  verifyEnvelope,
  type Envelope,
  type UnsignedEnvelope,
} from '../protocol/envelope.js';
import { GatewayError, RejectedError, TimeoutError } from '../protocol/errors.js';
import { encodeFrame } from '../protocol/frame.js';
import { parseReceiverAnswer } from '../protocol/handshake.js';
import { InitiatorSetup } from '../protocol/initiator-setup.js';
import { parseJson } from '../protocol/json-parse.js';
import type { JsonValue } from '../protocol/json-value.js';
import { isMessageType, type MessageType } from '../protocol/message-types.js';
import { formatTimestamp } from '../protocol/timestamp.js';
import { runSetup, type SetupResult, type SetupTimeouts } from '../transport/setup-driver.js';
import { toqClientTlsOptions } from '../transport/tls-options.js';
import type { CaseResult } from './conformance-report.js';
import { FrameTap } from './frame-tap.js';
import { ScriptConnection, type ConnectionEvent } from './script-connection.js';
import { describeMatch, envelopeView, matchAll, resolveValue, show, toPlain, type Mismatch, type PlainJson, type ScriptScope } from './script-values.js';
import type { ExpectStep, ScriptCase, ScriptStep, SendStep, SetupOutcome } from './session-script.js';

/** Where a `--toq` address leads: the canonical address, the agent name and where to dial. */
export interface ToqTarget {
  readonly address: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface CaseRunOptions {
  readonly target: ToqTarget;
  /** Our identity for the handshake and every envelope. */
  readonly identity: Identity;
  /** Our claimed handshake address (any valid address; re-rendered canonically). */
  readonly selfAddress: string;
  /** Per-step deadline when a step names none. @default 5000 */
  readonly defaultWithinMs?: number;
  /** TCP connect and TLS handshake, each. @default 5000 */
  readonly connectMs?: number;
  /** The reference's 5 s per setup phase unless given. */
  readonly setupTimeouts?: SetupTimeouts;
  /** The run's total deadline; aborting fails the case at once. */
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  /** Epoch ms for timestamps and the case timer. @default Date.now */
  readonly now?: () => number;
}

/** A step or setup failure: what it looked for and what came instead. */
class CaseFailure extends Error {
  constructor(
    readonly expected: string,
    readonly got: string,
    readonly step?: number,
  ) {
    super(`expected ${expected}; got ${got}`);
  }
}

const DEFAULT_WITHIN_MS = 5_000;
const CONNECT_MS = 5_000;

export async function runScriptCase(script: ScriptCase, options: CaseRunOptions): Promise<CaseResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const base = { id: script.id, required: script.required };
  let socket: TLSSocket | undefined;
  try {
    socket = await connectTls(options.target.host, options.target.port, options.connectMs ?? CONNECT_MS, options.signal);
    const got = await runOnSocket(script, socket, options);
    return { ...base, status: 'pass', expected: script.comment, got, ms: Math.round(now() - started) };
  } catch (err) {
    const ms = Math.round(now() - started);
    if (err instanceof CaseFailure) {
      return { ...base, status: 'fail', expected: err.expected, got: err.got, ms, ...(err.step !== undefined && { step: err.step }) };
    }
    if (options.signal?.aborted === true && err === options.signal.reason) {
      return { ...base, status: 'fail', expected: script.comment, got: `stopped: ${(err as Error).message}`, ms };
    }
    if (err instanceof GatewayError) {
      return { ...base, status: 'fail', expected: `a TLS connection to ${options.target.host}:${options.target.port}`, got: (err as Error).message, ms };
    }
    throw err;
  } finally {
    socket?.destroy();
  }
}

async function connectTls(host: string, port: number, ms: number, signal?: AbortSignal): Promise<TLSSocket> {
  const tcp = netConnect({ host, port });
  tcp.setNoDelay(true);
  let tls: TLSSocket | undefined;
  const stop = (err: Error): void => {
    // Destroying the TLS socket with an error rejects whichever `once` below is waiting.
    tls?.destroy(err);
    tcp.destroy(err);
  };
  const timer = setTimeout(() => stop(new TimeoutError(`TCP connect + TLS handshake with ${host}:${port}`, ms)), ms);
  const onAbort = (): void => stop(signal!.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await once(tcp, 'connect');
    tls = tlsConnect({ socket: tcp, ...toqClientTlsOptions() });
    tls.on('error', () => undefined); // reported through the awaits below or the connection events
    await once(tls, 'secureConnect');
    return tls;
  } catch (err) {
    tls?.destroy();
    tcp.destroy();
    if (err instanceof Error && !(err instanceof GatewayError)) throw new GatewayError('connect_failed', `${host}:${port}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

interface Transcript {
  view: { [key: string]: PlainJson };
  peer?: string;
  peerKey?: string;
}

/** The receiver's setup frames as the match paths see them: credentials, negotiate, card (§3.4). */
function transcriptOf(frames: readonly Buffer[]): Transcript {
  const view: { [key: string]: PlainJson } = {};
  const out: Transcript = { view };
  const first = frames[0];
  if (first === undefined) return out;
  try {
    view.credentials = toPlain(parseJson(first)) ?? null;
  } catch (err) {
    view.credentials = `(not JSON: ${(err as Error).message})`;
    return out;
  }
  let answer: ReturnType<typeof parseReceiverAnswer>;
  try {
    answer = parseReceiverAnswer(first);
  } catch (err) {
    view.credentials_error = (err as Error).message;
    return out;
  }
  if (answer.kind === 'error') return out;
  out.peer = answer.receiver.address;
  out.peerKey = answer.receiver.publicKeyText;
  const names = ['negotiate', 'card'];
  frames.slice(1, 3).forEach((frame, i) => {
    const name = names[i]!;
    try {
      const env = parseEnvelope(frame, { allowUnknownType: true });
      view[name] = envelopeView(env);
      if (!verifyEnvelope(env, answer.receiver.keyObject)) view[`${name}_error`] = 'signature does not verify with the handshake key';
    } catch (err) {
      view[`${name}_error`] = (err as Error).message;
    }
  });
  return out;
}

function outcomeOf(err: unknown): { outcome: SetupOutcome | string; detail: string } {
  if (err instanceof RejectedError) {
    switch (err.code) {
      case 'agent_unavailable':
        return { outcome: 'error', detail: err.message };
      case 'version_not_supported':
        return { outcome: 'negotiate.reject', detail: err.message };
      case 'approval_pending':
        return { outcome: 'pending', detail: `${err.message} (the receiver holds this client for approval: run it in open mode or approve the client's key)` };
      case 'blocked':
      case 'closed':
        return { outcome: 'closed', detail: err.message };
    }
    return { outcome: `rejected (${err.code})`, detail: err.message };
  }
  if (err instanceof TimeoutError) return { outcome: 'timeout', detail: err.message };
  if (err instanceof GatewayError) return { outcome: `${err.code}`, detail: err.message };
  if (err instanceof Error) return { outcome: 'error', detail: err.message };
  return { outcome: 'error', detail: String(err) };
}

function describeMismatches(prefix: string, mismatches: readonly Mismatch[]): { expected: string; got: string } {
  return {
    expected: `${prefix} with ${mismatches.map((m) => `${m.path} = ${m.expected}`).join(', ')}`,
    got: mismatches.map((m) => `${m.path} = ${m.got}`).join(', '),
  };
}

async function runOnSocket(script: ScriptCase, socket: TLSSocket, options: CaseRunOptions): Promise<string> {
  const now = options.now ?? Date.now;
  const self = canonicalAddress(options.selfAddress);
  const selfName = parseAddress(self).name;
  const tap = new FrameTap(socket);
  const machine = new InitiatorSetup({
    identity: options.identity,
    address: self,
    card: buildLocalCard({ name: selfName, publicKeyText: options.identity.publicKeyText, connectionMode: 'open' }),
    targetAgent: script.setup?.target_agent ?? options.target.name,
    ...(script.setup?.supported_versions !== undefined && { supportedVersions: script.setup.supported_versions }),
    now,
  });
  let setup: SetupResult | undefined;
  let outcome: { outcome: string; detail: string } = { outcome: 'established', detail: 'established' };
  try {
    setup = await runSetup({
      socket,
      machine,
      log: options.log ?? pino({ level: 'silent' }),
      ...(options.setupTimeouts !== undefined && { timeouts: options.setupTimeouts }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
  } catch (err) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    outcome = outcomeOf(err);
  }
  tap.detach();
  const transcript = transcriptOf(tap.frames);
  const sent = new Map<number, PlainJson>();
  const scope: ScriptScope = {
    self,
    targetName: options.target.name,
    sent,
    ...(transcript.peer !== undefined && { peer: transcript.peer }),
    ...(transcript.peerKey !== undefined && { peerKey: transcript.peerKey }),
  };

  const wanted = script.expect_setup?.outcome ?? 'established';
  if (outcome.outcome !== wanted) {
    throw new CaseFailure(`connection setup to end with ${wanted}`, `${outcome.outcome}: ${outcome.detail}`);
  }
  const setupMismatches = matchAll(transcript.view, script.expect_setup?.match, scope);
  for (const name of ['negotiate', 'card'] as const) {
    const problem = transcript.view[`${name}_error`];
    if (problem !== undefined && wanted === 'established') setupMismatches.push({ path: name, expected: 'a valid signed envelope', got: String(problem) });
  }
  if (setupMismatches.length > 0) {
    const { expected, got } = describeMismatches('setup frames', setupMismatches);
    throw new CaseFailure(expected, got);
  }
  if (setup === undefined) return `setup ended with ${wanted} as expected`;

  const peer = setup.established.peer;
  const connection = new ScriptConnection(socket, setup.decoder, setup.pendingFrames, peer.keyObject);
  const runner = new StepRunner(connection, options, scope, sent, setup.established.nextSendSequence - 1n);
  for (let i = 0; i < script.steps.length; i++) await runner.run(script.steps[i]!, i);
  return script.steps.length === 0 ? 'setup as expected' : `${script.steps.length} steps as expected`;
}

class StepRunner {
  private lastSequence: bigint;
  private readonly withinDefault: number;

  constructor(
    private readonly connection: ScriptConnection,
    private readonly options: CaseRunOptions,
    private readonly scope: ScriptScope,
    private readonly sent: Map<number, PlainJson>,
    lastSetupSequence: bigint,
  ) {
    this.lastSequence = lastSetupSequence;
    this.withinDefault = options.defaultWithinMs ?? DEFAULT_WITHIN_MS;
  }

  async run(step: ScriptStep, index: number): Promise<void> {
    if ('send' in step) this.send(step.send, index);
    else if ('send_raw_hex' in step) this.connection.write(Buffer.from(step.send_raw_hex, 'hex'));
    else if ('send_frame_length' in step) {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(step.send_frame_length, 0);
      this.connection.write(prefix);
    } else if ('expect' in step) await this.expect(step.expect, index);
    else if ('expect_no_frame' in step) await this.expectNoFrame(step.expect_no_frame.within_ms, index);
    else await this.expectClose(step.expect_close.within_ms ?? this.withinDefault, step.expect_close.allow_frames === true, index);
  }

  private resolveString(value: string | undefined, what: string, index: number): string | undefined {
    if (value === undefined) return undefined;
    const v = this.resolve(value, index);
    if (typeof v !== 'string') throw new CaseFailure(`${what} to resolve to a string`, show(v), index);
    return v;
  }

  private resolve(value: Parameters<typeof resolveValue>[0], index: number): PlainJson {
    try {
      return resolveValue(value, this.scope);
    } catch (err) {
      if (err instanceof RangeError) throw new CaseFailure('a resolvable script value', err.message, index);
      throw err;
    }
  }

  private send(send: SendStep, index: number): void {
    const sequence = send.sequence === 'repeat-last' ? this.lastSequence : typeof send.sequence === 'number' ? BigInt(send.sequence) : this.lastSequence + 1n;
    let id: string = randomUUID();
    if (send.id !== undefined && send.id !== 'new') {
      const earlier = this.sent.get(Number(send.id.slice('repeat:'.length)));
      if (earlier === null || typeof earlier !== 'object' || Array.isArray(earlier) || typeof earlier.id !== 'string') {
        throw new CaseFailure(`${send.id} to name an envelope sent earlier`, 'nothing was sent at that step', index);
      }
      id = earlier.id;
    }
    const from = canonicalAddress(this.resolveString(send.from ?? '$self', 'from', index)!);
    const to = (send.to ?? ['$peer']).map((t) => canonicalAddress(this.resolveString(t, 'to', index)!));
    const body = send.body === undefined ? undefined : (this.resolve(send.body, index) as JsonValue);
    const fields = {
      id,
      from,
      to,
      sequence,
      ...(body !== undefined && body !== null && { body }),
      ...optionalText('thread_id', this.resolveString(send.thread_id, 'thread_id', index)),
      ...optionalText('reply_to', this.resolveString(send.reply_to, 'reply_to', index)),
      ...optionalText('content_type', this.resolveString(send.content_type, 'content_type', index)),
    };
    const now = this.options.now ?? Date.now;
    let envelope: Envelope;
    if (isMessageType(send.type)) {
      envelope = createEnvelope({ ...fields, type: send.type }, this.options.identity, now);
    } else {
      // Our builder refuses types we do not know; the probe signs the canonical bytes itself (§5.3).
      const unsigned: UnsignedEnvelope = { version: '0.1', timestamp: formatTimestamp(now()), ...fields, type: send.type as MessageType };
      envelope = { ...unsigned, signature: signToText(this.options.identity, envelopeSigningBytes(unsigned)) };
    }
    if (send.corrupt_signature === true) envelope = { ...envelope, signature: corrupt(envelope.signature) };
    this.connection.write(encodeFrame(serializeEnvelope(envelope)));
    this.lastSequence = sequence;
    this.sent.set(index, envelopeView(envelope));
  }

  private async nextEvent(ms: number): Promise<ConnectionEvent> {
    return this.connection.next(ms, this.options.signal);
  }

  /** The peer's own heartbeats are answered and skipped (the reference sends none, §7). */
  private async answerHeartbeat(env: Envelope): Promise<void> {
    this.lastSequence += 1n;
    const ack = createEnvelope(
      { type: 'system.heartbeat.ack', from: this.scope.self, to: env.from, sequence: this.lastSequence, reply_to: env.id },
      this.options.identity,
      this.options.now ?? Date.now,
    );
    this.connection.write(encodeFrame(serializeEnvelope(ack)));
  }

  private async expect(expect: ExpectStep, index: number): Promise<void> {
    const within = expect.within_ms ?? this.withinDefault;
    const deadline = Date.now() + within;
    const wanted = `${expect.type}${expect.match ? ` with ${describeMatch(expect.match, this.scope)}` : ''} within ${within} ms`;
    for (;;) {
      const event = await this.nextEvent(Math.max(0, deadline - Date.now()));
      if (event.kind === 'timeout') throw new CaseFailure(wanted, `nothing within ${within} ms`, index);
      if (event.kind === 'closed') throw new CaseFailure(wanted, `the connection closed (${event.reason})`, index);
      if (event.kind === 'bad-frame') throw new CaseFailure(wanted, event.reason, index);
      const env = event.envelope;
      if (env.type === 'system.heartbeat' && expect.type !== 'system.heartbeat') {
        await this.answerHeartbeat(env);
        continue;
      }
      const view = envelopeView(env);
      if (env.type !== expect.type) throw new CaseFailure(wanted, `${env.type} ${show(view.body ?? null)}`, index);
      const mismatches = matchAll(view, expect.match, this.scope);
      if (mismatches.length > 0) {
        const { expected, got } = describeMismatches(expect.type, mismatches);
        throw new CaseFailure(expected, got, index);
      }
      return;
    }
  }

  private async expectNoFrame(within: number, index: number): Promise<void> {
    const deadline = Date.now() + within;
    const wanted = `no frame and an open connection for ${within} ms`;
    for (;;) {
      const event = await this.nextEvent(Math.max(0, deadline - Date.now()));
      if (event.kind === 'timeout') return;
      if (event.kind === 'closed') throw new CaseFailure(wanted, `the connection closed (${event.reason})`, index);
      if (event.kind === 'bad-frame') throw new CaseFailure(wanted, event.reason, index);
      if (event.envelope.type === 'system.heartbeat') {
        await this.answerHeartbeat(event.envelope);
        continue;
      }
      throw new CaseFailure(wanted, `${event.envelope.type} ${show(envelopeView(event.envelope))}`, index);
    }
  }

  private async expectClose(within: number, allowFrames: boolean, index: number): Promise<void> {
    const deadline = Date.now() + within;
    const wanted = `the connection closed within ${within} ms${allowFrames ? '' : ' without a frame first'}`;
    for (;;) {
      const event = await this.nextEvent(Math.max(0, deadline - Date.now()));
      if (event.kind === 'closed') return;
      if (event.kind === 'timeout') throw new CaseFailure(wanted, `still open after ${within} ms`, index);
      if (event.kind === 'bad-frame') throw new CaseFailure(wanted, event.reason, index);
      if (!allowFrames) throw new CaseFailure(wanted, `${event.envelope.type} ${show(envelopeView(event.envelope).body ?? null)}`, index);
    }
  }
}

function optionalText<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The same signature with one bit of its first byte flipped: well-formed, but it cannot verify. */
function corrupt(signature: string): string {
  const bytes = decodeBase64Strict(signature.slice(KEY_PREFIX.length), 'signature');
  bytes[0] = bytes[0]! ^ 0x01;
  return KEY_PREFIX + encodeBase64(bytes);
}
