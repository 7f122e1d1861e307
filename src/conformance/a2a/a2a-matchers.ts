// The matcher language of fixtures/a2a/checks.json (documented in fixtures/README.md): a map from
// a dotted path into a JSON value to the conditions the value found there must meet. Pure: JSON
// in, the first unmet condition out as a sentence (undefined = every condition holds).

/** Conditions on one value; every given condition must hold. */
export interface Matcher {
  /** The path may be missing; then nothing else is checked. */
  readonly optional?: boolean;
  readonly present?: boolean;
  readonly absent?: boolean;
  readonly equals?: unknown;
  readonly not_equals?: unknown;
  readonly type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
  readonly in?: readonly unknown[];
  /** Like `in`, with a list named in the fixture's `defaults` (e.g. `final_states`). */
  readonly in_set?: string;
  readonly non_empty?: boolean;
  readonly pattern?: string;
  readonly min?: number;
  readonly max?: number;
  /** An object holding exactly one of these keys. */
  readonly one_key_of?: readonly string[];
  /** An object holding none of these keys. */
  readonly no_keys?: readonly string[];
  /** No object at any depth holds this key. */
  readonly no_key_anywhere?: string;
  /** Every array element satisfies the map (paths relative to the element). */
  readonly each?: Matchers;
  /** At least one array element satisfies the map. */
  readonly some?: Matchers;
  /** Every value of an object satisfies the map. */
  readonly each_value?: Matchers;
}

/** Path → matcher. The path "" is the value itself. */
export type Matchers = Readonly<Record<string, Matcher>>;

/** Named lists the `in_set` condition refers to. */
export type MatcherSets = Readonly<Record<string, readonly unknown[]>>;

const MISSING: unique symbol = Symbol('missing');
type Found = unknown | typeof MISSING;

/**
 * Reads a dotted path: object keys, array indexes, and `length` of an array or string. A key
 * that itself contains a dot cannot be addressed (no A2A field name has one).
 */
export function readPath(value: unknown, path: string): Found {
  if (path === '') return value;
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (segment === 'length') current = current.length;
      else if (/^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < current.length) current = current[Number(segment)];
      else return MISSING;
    } else if (typeof current === 'string' && segment === 'length') {
      current = current.length;
    } else if (isObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return MISSING;
    }
  }
  return current;
}

/** The first unmet condition of `matchers` on `value`, or undefined when all hold. */
export function checkMatchers(value: unknown, matchers: Matchers, sets: MatcherSets = {}): string | undefined {
  for (const [path, matcher] of Object.entries(matchers)) {
    const problem = checkOne(readPath(value, path), matcher, sets);
    if (problem !== undefined) return `${path === '' ? 'the value' : path}: ${problem}`;
  }
  return undefined;
}

function checkOne(found: Found, m: Matcher, sets: MatcherSets): string | undefined {
  if (found === MISSING) {
    if (m.optional === true || m.absent === true) return undefined;
    return 'missing';
  }
  if (m.absent === true) return `present (${show(found)}), expected absent`;
  if (m.equals !== undefined && !deepEqual(found, m.equals)) return `${show(found)}, expected ${show(m.equals)}`;
  if (m.not_equals !== undefined && deepEqual(found, m.not_equals)) return `${show(found)}, expected anything else`;
  if (m.type !== undefined && typeOf(found) !== m.type && !(m.type === 'number' && typeOf(found) === 'integer')) return `${typeOf(found)} ${show(found)}, expected ${m.type}`;
  if (m.in !== undefined && !m.in.some((v) => deepEqual(v, found))) return `${show(found)}, expected one of ${show(m.in)}`;
  if (m.in_set !== undefined) {
    const set = sets[m.in_set];
    if (set === undefined) throw new RangeError(`matcher refers to unknown set "${m.in_set}"`);
    if (!set.some((v) => deepEqual(v, found))) return `${show(found)}, expected one of ${m.in_set} ${show(set)}`;
  }
  if (m.non_empty === true && isEmpty(found)) return `${show(found)} is empty`;
  if (m.pattern !== undefined && (typeof found !== 'string' || !new RegExp(m.pattern, 'u').test(found))) return `${show(found)} does not match /${m.pattern}/`;
  if (m.min !== undefined && (typeof found !== 'number' || found < m.min)) return `${show(found)}, expected >= ${m.min}`;
  if (m.max !== undefined && (typeof found !== 'number' || found > m.max)) return `${show(found)}, expected <= ${m.max}`;
  if (m.one_key_of !== undefined) {
    if (!isObject(found)) return `${typeOf(found)}, expected an object with one of ${show(m.one_key_of)}`;
    const hits = m.one_key_of.filter((k) => Object.hasOwn(found, k));
    if (hits.length !== 1) return `holds ${hits.length === 0 ? `none of ${show(m.one_key_of)} (keys: ${show(Object.keys(found))})` : show(hits)}, expected exactly one of ${show(m.one_key_of)}`;
  }
  if (m.no_keys !== undefined) {
    if (!isObject(found)) return `${typeOf(found)}, expected an object`;
    const hits = m.no_keys.filter((k) => Object.hasOwn(found, k));
    if (hits.length > 0) return `holds ${show(hits)}, expected none of them`;
  }
  if (m.no_key_anywhere !== undefined) {
    const at = findKey(found, m.no_key_anywhere, '');
    if (at !== undefined) return `holds the key ${show(m.no_key_anywhere)} at ${at === '' ? 'the top' : at}`;
  }
  if (m.each !== undefined) {
    if (!Array.isArray(found)) return `${typeOf(found)}, expected an array`;
    for (const [i, element] of found.entries()) {
      const problem = checkMatchers(element, m.each, sets);
      if (problem !== undefined) return `[${i}] ${problem}`;
    }
  }
  if (m.some !== undefined) {
    if (!Array.isArray(found)) return `${typeOf(found)}, expected an array`;
    if (!found.some((element) => checkMatchers(element, m.some!, sets) === undefined)) return `no element satisfies ${show(m.some)} (got ${show(found)})`;
  }
  if (m.each_value !== undefined) {
    if (!isObject(found)) return `${typeOf(found)}, expected an object`;
    for (const [key, element] of Object.entries(found)) {
      const problem = checkMatchers(element, m.each_value, sets);
      if (problem !== undefined) return `[${key}] ${problem}`;
    }
  }
  return undefined;
}

export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return value === null;
}

function findKey(value: unknown, key: string, at: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const hit = findKey(v, key, `${at}[${i}]`);
      if (hit !== undefined) return hit;
    }
  } else if (isObject(value)) {
    if (Object.hasOwn(value, key)) return at;
    for (const [k, v] of Object.entries(value)) {
      const hit = findKey(v, key, at === '' ? k : `${at}.${k}`);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** A short rendering for messages: JSON, cut at 120 characters. */
export function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
