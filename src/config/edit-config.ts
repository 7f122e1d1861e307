// Structural edits of config.toml text (DESIGN §3: `toq expose`, `toq a2a enable`, `toq config
// set` and PATCH /v1/config edit the file, they do not regenerate it). Each edit changes only
// the statements that define the key or table involved, so comments and formatting elsewhere
// survive, and it never appends a top-level key after a table header (where TOML would file it
// under that table). Every result is parsed again and compared with the intended document; when
// a layout is beyond the line editor (e.g. the parent is an inline table) the whole document is
// re-serialized instead, which loses comments but never meaning. Pure string work: no I/O.

import { stringify, TomlDate } from 'smol-toml';
import { parseTomlDocument, isTable, type TomlDocument } from './load-config.js';
import { absolutePath, scanTomlLayout, type TomlStatement } from './toml-layout.js';

/** A value that can be written into config.toml. Integral numbers are written as integers. */
export type TomlEditValue =
  | string
  | number
  | bigint
  | boolean
  | TomlDate
  | readonly TomlEditValue[]
  | { readonly [key: string]: TomlEditValue };

export interface EditConfigOptions {
  /**
   * Called when the line editor could not express the edit and the document was re-serialized
   * (comments lost). Tests use it to prove an edit stayed structural.
   */
  readonly onRewrite?: (reason: string) => void;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
}

/** Sets a top-level key (`port = 9010`), replacing any table or dotted keys it had. */
export function setConfigKey(text: string, key: string, value: TomlEditValue, options: EditConfigOptions = {}): string {
  checkKey(key);
  return applyEdit(
    text,
    (doc) => {
      doc[key] = toDocumentValue(value);
    },
    (layout, nl) => {
      const line = `${formatTomlKey(key)} = ${formatTomlValue(value)}`;
      const defs = layout.statements.filter((s) => s.kind === 'keyval' && s.table.length === 0 && s.path[0] === key);
      const sections = sectionsUnder(layout, [key]);
      const only = defs[0];
      if (defs.length === 1 && only !== undefined && only.path.length === 1 && sections.length === 0) {
        return { splices: [{ start: only.valueStart, end: only.valueEnd, insert: formatTomlValue(value) }] };
      }
      const removed = [...defs.map(range), ...sections];
      const kept = layout.statements.filter((s) => s.kind === 'keyval' && s.table.length === 0 && !defs.includes(s));
      return { splices: [...removed.map(removal), rootInsertion(layout, kept, line, nl)] };
    },
    options,
  );
}

/** Removes a top-level key (and any table of that name). A key that is not there is a no-op. */
export function unsetConfigKey(text: string, key: string, options: EditConfigOptions = {}): string {
  checkKey(key);
  return applyEdit(
    text,
    (doc) => {
      delete doc[key];
    },
    (layout) => {
      const defs = layout.statements.filter((s) => s.kind === 'keyval' && s.table.length === 0 && s.path[0] === key);
      return { splices: [...defs.map(range), ...sectionsUnder(layout, [key])].map(removal) };
    },
    options,
  );
}

/**
 * Makes the table at `path` hold exactly `members` (e.g. path ['agents', 'helper'] with
 * `{ a2a: 'http://...' }`). An existing `[path]` section keeps its place, comments and the
 * lines of members that stay; otherwise a new section is appended at the end of the file.
 */
export function setConfigTable(
  text: string,
  path: readonly string[],
  members: { readonly [key: string]: TomlEditValue },
  options: EditConfigOptions = {},
): string {
  checkPath(path);
  for (const key of Object.keys(members)) checkKey(key);
  return applyEdit(
    text,
    (doc) => {
      const parent = ensureTable(doc, path.slice(0, -1));
      parent[path[path.length - 1] as string] = toDocumentValue(members);
    },
    (layout, nl) => {
      if (blocksTableEdit(layout, path)) return undefined;
      const headerIndex = layout.statements.findIndex((s) => s.kind === 'header' && samePath(s.path, path));
      const header = layout.statements[headerIndex];
      const subSections = sectionsUnder(layout, path, true);
      // Dotted keys or inline tables in a parent table that define members of this one.
      const outside = layout.statements.filter((s) => s.kind === 'keyval' && startsWith(absolutePath(s), path) && !startsWith(s.table, path));
      const removed = dropContained([...subSections, ...outside.map(range)]);
      if (header === undefined || outside.length > 0) {
        const whole = header === undefined ? [] : [sectionRange(layout, headerIndex)];
        const splices = dropContained([...removed, ...whole]).map(removal);
        return { splices, append: formatTableBlock(path, members, nl) };
      }
      const splices: Splice[] = removed.map(removal);
      const own = sectionStatements(layout, headerIndex).filter((s) => s.kind === 'keyval');
      const written = new Set<string>();
      for (const statement of own) {
        const key = statement.path[0] as string;
        if (statement.path.length === 1 && Object.hasOwn(members, key)) {
          splices.push({ start: statement.valueStart, end: statement.valueEnd, insert: formatTomlValue(members[key] as TomlEditValue) });
          written.add(key);
        } else {
          splices.push(removal(range(statement)));
        }
      }
      const added = Object.keys(members)
        .filter((key) => !written.has(key))
        .map((key) => `${formatTomlKey(key)} = ${formatTomlValue(members[key] as TomlEditValue)}`);
      if (added.length > 0) {
        const after = own.length > 0 ? (own[own.length - 1] as TomlStatement).end : header.end;
        splices.push(lineInsertion(layout.text, after, added, nl));
      }
      return { splices };
    },
    options,
  );
}

/** Removes the table at `path`, its sub-tables and dotted keys under it. Absent: a no-op. */
export function removeConfigTable(text: string, path: readonly string[], options: EditConfigOptions = {}): string {
  checkPath(path);
  return applyEdit(
    text,
    (doc) => {
      const parent = lookupTable(doc, path.slice(0, -1));
      if (parent !== undefined) delete parent[path[path.length - 1] as string];
    },
    (layout) => {
      if (blocksTableEdit(layout, path)) return undefined;
      const sections = sectionsUnder(layout, path, false);
      const keyvals = layout.statements.filter((s) => s.kind === 'keyval' && startsWith(absolutePath(s), path));
      return { splices: dropContained([...sections, ...keyvals.map(range)]).map(removal) };
    },
    options,
  );
}

/** `[agents.<name>]` = members (DESIGN §3), e.g. `{ a2a: 'http://localhost:8000', auth_env: 'HELPER_TOKEN' }`. */
export function setAgentTable(
  text: string,
  name: string,
  members: { readonly [key: string]: TomlEditValue },
  options: EditConfigOptions = {},
): string {
  return setConfigTable(text, ['agents', name], members, options);
}

export function removeAgentTable(text: string, name: string, options: EditConfigOptions = {}): string {
  return removeConfigTable(text, ['agents', name], options);
}

/** A key as TOML writes it: bare when it can be, else a basic string. */
export function formatTomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : formatTomlString(key);
}

/** A value in TOML syntax (inline tables for objects). */
export function formatTomlValue(value: TomlEditValue): string {
  if (typeof value === 'string') return formatTomlString(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value)) throw new RangeError(`integer ${value} is not exact; pass a bigint`);
      return String(value);
    }
    return String(value);
  }
  if (value instanceof TomlDate) return value.toISOString();
  if (Array.isArray(value)) return `[${(value as readonly TomlEditValue[]).map(formatTomlValue).join(', ')}]`;
  const entries = Object.entries(value as { readonly [key: string]: TomlEditValue });
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([key, member]) => `${formatTomlKey(key)} = ${formatTomlValue(member)}`).join(', ')} }`;
}

function formatTomlString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------

interface Layout {
  readonly text: string;
  readonly statements: readonly TomlStatement[];
}

interface EditPlan {
  readonly splices: readonly Splice[];
  /** A block appended to the end of the text after the splices. */
  readonly append?: string;
}

type Range = readonly [number, number];

function applyEdit(
  text: string,
  mutate: (doc: TomlDocument) => void,
  plan: (layout: Layout, nl: string) => EditPlan | undefined,
  options: EditConfigOptions,
): string {
  const intended = parseTomlDocument(text);
  mutate(intended);
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  let reason = 'the layout needs a rewrite (inline or array table in the way)';
  try {
    const edit = plan({ text, statements: scanTomlLayout(text) }, nl);
    if (edit !== undefined) {
      let result = applySplices(text, edit.splices);
      if (edit.append !== undefined) result = appendBlock(result, edit.append, nl);
      let parsed: TomlDocument | undefined;
      try {
        parsed = parseTomlDocument(result);
      } catch {
        // Falls through to the rewrite below; `reason` says why.
        parsed = undefined;
      }
      if (parsed !== undefined && sameDocument(parsed, intended)) return result;
      reason = 'the line edit did not produce the intended document';
    }
  } catch (err) {
    reason = `the layout scanner failed: ${(err as Error).message}`;
  }
  options.onRewrite?.(reason);
  return rewriteDocument(intended, nl);
}

function rewriteDocument(doc: TomlDocument, nl: string): string {
  const body = stringify(doc, { numbersAsFloat: true });
  return nl === '\n' ? body : body.replace(/\n/g, nl);
}

function applySplices(text: string, splices: readonly Splice[]): string {
  // Later offsets first; at equal starts, removals before insertions so offsets stay valid.
  const ordered = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const splice of ordered) out = out.slice(0, splice.start) + splice.insert + out.slice(splice.end);
  return out;
}

function appendBlock(text: string, block: string, nl: string): string {
  let out = text;
  if (out.length > 0 && !out.endsWith('\n')) out += nl;
  if (out.length > 0 && !/(?:^|\n)[ \t]*\r?\n$/.test(out)) out += nl;
  return out + block;
}

function formatTableBlock(path: readonly string[], members: { readonly [key: string]: TomlEditValue }, nl: string): string {
  const lines = [`[${path.map(formatTomlKey).join('.')}]`];
  for (const [key, value] of Object.entries(members)) lines.push(`${formatTomlKey(key)} = ${formatTomlValue(value)}`);
  return lines.join(nl) + nl;
}

/**
 * Where a new top-level key goes: after the last root key/value that stays, else before the
 * first table header (above the comments that introduce it), else at the end of the text.
 */
function rootInsertion(layout: Layout, keptRoot: readonly TomlStatement[], line: string, nl: string): Splice {
  const { text, statements } = layout;
  const last = keptRoot[keptRoot.length - 1];
  if (last !== undefined) return lineInsertion(text, last.end, [line], nl);
  const firstHeaderIndex = statements.findIndex((s) => s.kind !== 'keyval');
  const firstHeader = statements[firstHeaderIndex];
  if (firstHeader === undefined) return lineInsertion(text, text.length, [line], nl);
  // A byte-order mark stays first.
  const begin = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const floor = statements.slice(0, firstHeaderIndex).reduce((max, s) => Math.max(max, s.end), begin);
  let at = firstHeader.start;
  for (;;) {
    if (at <= floor) break;
    const previousStart = Math.max(begin, text.lastIndexOf('\n', at - 2) + 1);
    if (previousStart >= at || previousStart < floor || !/^[ \t]*#/.test(text.slice(previousStart, at))) break;
    at = previousStart;
  }
  return { start: at, end: at, insert: `${line}${nl}${nl}` };
}

/** Inserts whole lines at a line boundary `at` (adding the missing line break at end of text). */
function lineInsertion(text: string, at: number, lines: readonly string[], nl: string): Splice {
  const needsBreak = at > 0 && text[at - 1] !== '\n';
  return { start: at, end: at, insert: `${needsBreak ? nl : ''}${lines.join(nl)}${nl}` };
}

function range(statement: TomlStatement): Range {
  return [statement.start, statement.end];
}

function removal([start, end]: Range): Splice {
  return { start, end, insert: '' };
}

/** The statements of the section opened by the header at `headerIndex` (header excluded). */
function sectionStatements(layout: Layout, headerIndex: number): TomlStatement[] {
  const out: TomlStatement[] = [];
  for (let i = headerIndex + 1; i < layout.statements.length; i++) {
    const statement = layout.statements[i] as TomlStatement;
    if (statement.kind !== 'keyval') break;
    out.push(statement);
  }
  return out;
}

/**
 * From a header line to the next header (or the end of the text), leaving out the comment lines
 * glued to the next header: they introduce that table, not this one.
 */
function sectionRange(layout: Layout, headerIndex: number): Range {
  const header = layout.statements[headerIndex] as TomlStatement;
  const own = sectionStatements(layout, headerIndex);
  const next = layout.statements[headerIndex + 1 + own.length];
  if (next === undefined) return [header.start, layout.text.length];
  const floor = own.length > 0 ? (own[own.length - 1] as TomlStatement).end : header.end;
  let end = next.start;
  for (;;) {
    const previousStart = layout.text.lastIndexOf('\n', end - 2) + 1;
    if (previousStart >= end || previousStart < floor || !/^[ \t]*#/.test(layout.text.slice(previousStart, end))) break;
    end = previousStart;
  }
  return [header.start, end];
}

/** Sections whose header path starts with `path` (`strict`: strictly longer paths only). */
function sectionsUnder(layout: Layout, path: readonly string[], strict = false): Range[] {
  const out: Range[] = [];
  layout.statements.forEach((s, i) => {
    if (s.kind === 'keyval' || !startsWith(s.path, path)) return;
    if (strict && s.path.length === path.length) return;
    out.push(sectionRange(layout, i));
  });
  return out;
}

/** True when a parent of `path` is an inline table, a dotted-key table or an array of tables. */
function blocksTableEdit(layout: Layout, path: readonly string[]): boolean {
  return layout.statements.some((s) => {
    const defined = absolutePath(s);
    if (s.kind === 'array-header') return startsWith(path, defined) || startsWith(defined, path);
    return s.kind === 'keyval' && defined.length < path.length && startsWith(path, defined);
  });
}

function dropContained(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r[0] < last[1]) {
      if (r[1] > last[1]) out[out.length - 1] = [last[0], r[1]];
      continue;
    }
    out.push(r);
  }
  return out;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

function ensureTable(doc: TomlDocument, path: readonly string[]): Record<string, unknown> {
  let current: Record<string, unknown> = doc;
  for (const segment of path) {
    const next = current[segment];
    if (isTable(next)) current = next;
    else {
      const created: Record<string, unknown> = {};
      current[segment] = created;
      current = created;
    }
  }
  return current;
}

function lookupTable(doc: TomlDocument, path: readonly string[]): Record<string, unknown> | undefined {
  let current: Record<string, unknown> = doc;
  for (const segment of path) {
    const next = current[segment];
    if (!isTable(next)) return undefined;
    current = next;
  }
  return current;
}

/** An edit value in the shape the parser returns (integers as bigint). */
function toDocumentValue(value: TomlEditValue): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return (value as readonly TomlEditValue[]).map(toDocumentValue);
  if (typeof value === 'object' && !(value instanceof TomlDate)) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value as { readonly [key: string]: TomlEditValue })) out[key] = toDocumentValue(member);
    return out;
  }
  return value;
}

/** Deep equality of parsed documents; empty tables count as absent (an empty `[agents]` is no agents). */
function sameDocument(a: unknown, b: unknown): boolean {
  if (a instanceof TomlDate || b instanceof TomlDate) {
    return a instanceof TomlDate && b instanceof TomlDate && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameDocument(item, b[i]));
  }
  if (isTable(a) || isTable(b)) {
    if (!isTable(a) || !isTable(b)) return false;
    const keysA = Object.keys(a).filter((key) => !isEmptyTable(a[key]));
    const keysB = Object.keys(b).filter((key) => !isEmptyTable(b[key]));
    return keysA.length === keysB.length && keysA.every((key) => Object.hasOwn(b, key) && sameDocument(a[key], b[key]));
  }
  return Object.is(a, b);
}

function isEmptyTable(value: unknown): boolean {
  return isTable(value) && Object.keys(value).every((key) => isEmptyTable(value[key]));
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('a TOML key must be a non-empty string');
}

function checkPath(path: readonly string[]): void {
  if (!Array.isArray(path) || path.length === 0) throw new RangeError('a table path needs at least one key');
  for (const key of path) checkKey(key);
}
