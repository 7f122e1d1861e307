// Version and feature negotiation bodies (wire spec §6.1): what each side sends and how the
// reference reads the other side's body. Pure functions over JSON values; the envelopes around
// them are built and signed by the connection-setup machines.

import { PROTOCOL_VERSION } from './constants.js';
import { ProtocolError } from './errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import type { Envelope } from './envelope.js';

/** Features one side offers (§6.1). */
export interface Features {
  readonly streaming: boolean;
  readonly compression: readonly string[];
  readonly e2e_encryption: boolean;
}

/** What both sides agreed on. `compression` is one algorithm or none. */
export interface NegotiatedFeatures {
  readonly version: string;
  readonly streaming: boolean;
  readonly compression: string | undefined;
  readonly e2e_encryption: boolean;
}

/** The reference's `Features::default()`: streaming on, no compression, no e2e (§6.1). */
export const DEFAULT_FEATURES: Features = Object.freeze({ streaming: true, compression: Object.freeze([]), e2e_encryption: false });

/** The body's `message` when the receiver answers a pending connection (§4.4). */
export const PENDING_APPROVAL_MESSAGE = 'Connection pending approval by remote agent';
/** What the reference initiator reports when approval.request has no `message` (§6.1). */
const PENDING_APPROVAL_FALLBACK = 'connection pending approval by remote agent';
export const NO_COMPATIBLE_VERSION = 'no_compatible_version';

function featuresJson(f: Features): JsonObject {
  return { streaming: f.streaming, compression: [...f.compression], e2e_encryption: f.e2e_encryption };
}

/**
 * negotiate.request body (§6.1): `{"supported_versions":["0.1"],"features":{...}}`.
 * `versions` exists for conformance probes; the reference always offers just "0.1".
 */
export function negotiateRequestBody(features: Features = DEFAULT_FEATURES, versions: readonly string[] = [PROTOCOL_VERSION]): JsonObject {
  return { supported_versions: [...versions], features: featuresJson(features) };
}

/** negotiate.response body (§6.1): `compression` is `null` or one string, never a list. */
export function negotiateResponseBody(agreed: NegotiatedFeatures): JsonObject {
  return {
    selected_version: agreed.version,
    features: {
      streaming: agreed.streaming,
      compression: agreed.compression ?? null,
      e2e_encryption: agreed.e2e_encryption,
    },
  };
}

/** negotiate.reject body (§6.1). */
export function negotiateRejectBody(): JsonObject {
  return { reason: NO_COMPATIBLE_VERSION, supported_versions: [PROTOCOL_VERSION] };
}

/** approval.request body (§4.4, §7). */
export function approvalRequestBody(message: string = PENDING_APPROVAL_MESSAGE): JsonObject {
  return { message };
}

/** `body[key]` as serde_json's Value indexing reads it: a missing key or a non-object is null. */
function member(body: JsonValue, key: string): JsonValue {
  if (!isJsonObject(body)) return null;
  const v = body[key];
  return v === undefined ? null : v;
}

/** `from_value::<Vec<String>>`: a list of strings, else undefined. */
function stringList(v: JsonValue): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const item of v) {
    if (typeof item !== 'string') return undefined;
    out.push(item);
  }
  return out;
}

/**
 * `from_value::<Features>(v).unwrap_or_default()` (§6.1): an object whose present members have
 * the right types (missing members default to false / empty); anything else → DEFAULT_FEATURES.
 * With `tolerant`, `compression` may also be null or one string (the reference's own response
 * shape, §20 item 17), which the reference itself cannot read.
 */
export function readFeatures(v: JsonValue, tolerant = false): Features {
  if (!isJsonObject(v)) return DEFAULT_FEATURES;
  const streaming = v.streaming;
  const compression = v.compression;
  const e2e = v.e2e_encryption;
  if (streaming !== undefined && typeof streaming !== 'boolean') return DEFAULT_FEATURES;
  if (e2e !== undefined && typeof e2e !== 'boolean') return DEFAULT_FEATURES;
  let list: string[] | undefined;
  if (compression === undefined) list = [];
  else if (tolerant && compression === null) list = [];
  else if (tolerant && typeof compression === 'string') list = [compression];
  else list = stringList(compression);
  if (list === undefined) return DEFAULT_FEATURES;
  return { streaming: streaming ?? false, compression: list, e2e_encryption: e2e ?? false };
}

export type NegotiateRequestOutcome =
  | { readonly kind: 'accept'; readonly negotiated: NegotiatedFeatures; readonly responseBody: JsonObject }
  | { readonly kind: 'reject'; readonly rejectBody: JsonObject };

/**
 * Receiver side (§6.1): read a negotiate.request body. A missing body is
 * ProtocolError('invalid_envelope'); no "0.1" in `supported_versions` → reject; otherwise the
 * intersection of features and the response body.
 */
export function evaluateNegotiateRequest(body: JsonValue | undefined, local: Features = DEFAULT_FEATURES): NegotiateRequestOutcome {
  if (body === undefined || body === null) throw new ProtocolError('invalid_envelope', 'negotiate.request has no body');
  const supported = stringList(member(body, 'supported_versions')) ?? [];
  if (!supported.includes(PROTOCOL_VERSION)) return { kind: 'reject', rejectBody: negotiateRejectBody() };
  const peer = readFeatures(member(body, 'features'));
  const negotiated: NegotiatedFeatures = {
    version: PROTOCOL_VERSION,
    streaming: local.streaming && peer.streaming,
    compression: local.compression.find((c) => peer.compression.includes(c)),
    e2e_encryption: local.e2e_encryption && peer.e2e_encryption,
  };
  return { kind: 'accept', negotiated, responseBody: negotiateResponseBody(negotiated) };
}

export type NegotiationAnswer =
  | { readonly kind: 'accepted'; readonly negotiated: NegotiatedFeatures }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'pending'; readonly message: string };

/**
 * Initiator side (§6.1, §20 items 17-18): what the receiver answered to negotiate.request.
 * negotiate.response needs a body with a string `selected_version` (else invalid_envelope);
 * its features are read tolerantly. Any other type is ProtocolError('protocol_violation').
 */
export function readNegotiationAnswer(env: Envelope, local: Features = DEFAULT_FEATURES): NegotiationAnswer {
  switch (env.type) {
    case 'negotiate.response': {
      if (env.body === undefined || env.body === null) {
        throw new ProtocolError('invalid_envelope', 'negotiate.response has no body');
      }
      const version = member(env.body, 'selected_version');
      if (typeof version !== 'string') throw new ProtocolError('invalid_envelope', 'negotiate.response has no selected_version');
      const peer = readFeatures(member(env.body, 'features'), true);
      return {
        kind: 'accepted',
        negotiated: {
          version,
          // The receiver already intersected; keep only what we offered ourselves as well.
          streaming: local.streaming && peer.streaming,
          compression: peer.compression.find((c) => local.compression.includes(c)),
          e2e_encryption: local.e2e_encryption && peer.e2e_encryption,
        },
      };
    }
    case 'negotiate.reject': {
      const reason = env.body === undefined ? null : member(env.body, 'reason');
      return { kind: 'rejected', reason: typeof reason === 'string' ? reason : 'unknown' };
    }
    case 'approval.request': {
      const message = env.body === undefined ? null : member(env.body, 'message');
      return { kind: 'pending', message: typeof message === 'string' ? message : PENDING_APPROVAL_FALLBACK };
    }
    default:
      throw new ProtocolError('protocol_violation', `expected negotiate.response, got ${env.type}`);
  }
}
