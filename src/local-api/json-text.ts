// JSON text for API responses: keys in insertion order (the reference's field orders), and
// message bodies printed losslessly (a JsonNumber keeps its lexeme), which JSON.stringify
// cannot do. Undefined members are omitted, as serde's skip_serializing_if does.

import { JsonNumber } from '../protocol/json-value.js';

export function toJsonText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number in a response');
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof JsonNumber) return value.lexeme;
      if (Array.isArray(value)) return '[' + value.map((v) => (v === undefined ? 'null' : toJsonText(v))).join(',') + ']';
      let out = '{';
      let first = true;
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + toJsonText(v);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`cannot put a ${typeof value} in a response`);
  }
}
