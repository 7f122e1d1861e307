// Small value helpers shared by the translators: a text part, and lossless JSON turned into the
// plain JS values the SDK's readers expect. Pure.

import type { Part } from '@a2a-js/sdk';
import { JsonNumber, isJsonObject, type JsonValue } from '../../protocol/json-value.js';

export function textPart(text: string): Part {
  return { content: { $case: 'text', value: text }, mediaType: 'text/plain', filename: '', metadata: undefined };
}

/** Lossless JSON → plain JS values (a number's lexeme becomes the nearest double). */
export function toPlainJson(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (isJsonObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlainJson(v);
    return out;
  }
  return value;
}
