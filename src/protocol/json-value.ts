// The lossless JSON model used for everything we sign. A number parsed from text keeps its
// lexeme (JsonNumber), so `2.0` stays `2.0` and integers above 2^53 survive; our own code may
// also put plain JS numbers and bigints in, which the canonical printer prints as serde_json would.

/** A JSON number kept as the exact text it was parsed from (already validated JSON grammar). */
export class JsonNumber {
  constructor(readonly lexeme: string) {}
  /** The nearest JS number (lossy); for reading values, never for printing signed bytes. */
  toNumber(): number {
    return Number(this.lexeme);
  }
  toJSON(): number {
    return Number(this.lexeme);
  }
  toString(): string {
    return this.lexeme;
  }
}

/** Objects parsed by us have a null prototype, so a `__proto__` key is just a key. */
export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonValue = null | boolean | string | number | bigint | JsonNumber | JsonValue[] | JsonObject;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

/** Reads a string member of a JSON object, or undefined. */
export function getString(obj: JsonObject, key: string): string | undefined {
  const v = Object.hasOwn(obj, key) ? obj[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}
