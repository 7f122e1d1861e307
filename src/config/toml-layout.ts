// Where each statement of a TOML text sits: table headers and key/value lines with their
// offsets, key paths and value spans. edit-config.ts uses it to change one statement and leave
// every other byte (comments, blank lines, spacing) alone. It expects text that a TOML parser
// already accepted, so it reports structure and does not validate it. Pure string work.

export type TomlStatementKind = 'header' | 'array-header' | 'keyval';

export interface TomlStatement {
  readonly kind: TomlStatementKind;
  /** Offset of the start of the line the statement begins on. */
  readonly start: number;
  /** Offset just past the line break that ends the statement's last line (or the text length). */
  readonly end: number;
  /** Headers: the table path. Key/values: the (possibly dotted) key, relative to `table`. */
  readonly path: readonly string[];
  /** The table the statement belongs to (a header's own path for headers; [] for the root). */
  readonly table: readonly string[];
  /** Key/values only: the value's span, without surrounding spaces or a trailing comment. */
  readonly valueStart: number;
  readonly valueEnd: number;
}

const BARE_KEY = /[A-Za-z0-9_-]/;
const BARE_VALUE_STOP = new Set([' ', '\t', '\r', '\n', '#', ',', ']', '}']);

/** Lists the statements of `text` in order. Throws Error if the text is not TOML after all. */
export function scanTomlLayout(text: string): TomlStatement[] {
  return new LayoutScanner(text).scan();
}

/** The absolute key path a statement defines (table path + key path for key/values). */
export function absolutePath(statement: TomlStatement): readonly string[] {
  return statement.kind === 'keyval' ? [...statement.table, ...statement.path] : statement.path;
}

class LayoutScanner {
  private pos = 0;

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  scan(): TomlStatement[] {
    const statements: TomlStatement[] = [];
    let table: readonly string[] = [];
    const text = this.text;
    while (this.pos < text.length) {
      const lineStart = this.pos;
      this.skipSpaces();
      const c = text[this.pos];
      if (c === undefined) break;
      if (c === '\n') {
        this.pos++;
        continue;
      }
      if (c === '\r' && text[this.pos + 1] === '\n') {
        this.pos += 2;
        continue;
      }
      if (c === '#') {
        this.finishLine();
        continue;
      }
      if (c === '[') {
        const isArray = text[this.pos + 1] === '[';
        this.pos += isArray ? 2 : 1;
        const path = this.readKey();
        this.expect(isArray ? ']]' : ']');
        this.finishLine();
        table = path;
        statements.push({ kind: isArray ? 'array-header' : 'header', start: lineStart, end: this.pos, path, table: path, valueStart: -1, valueEnd: -1 });
        continue;
      }
      const path = this.readKey();
      this.expect('=');
      this.skipSpaces();
      const valueStart = this.pos;
      this.skipValue();
      const valueEnd = this.pos;
      this.finishLine();
      statements.push({ kind: 'keyval', start: lineStart, end: this.pos, path, table, valueStart, valueEnd });
    }
    return statements;
  }

  private fail(what: string): never {
    throw new Error(`TOML layout: ${what} at offset ${this.pos}`);
  }

  private expect(token: string): void {
    this.skipSpaces();
    if (!this.text.startsWith(token, this.pos)) this.fail(`expected ${JSON.stringify(token)}`);
    this.pos += token.length;
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  /** Spaces, an optional comment, then one line break (or the end of the text). */
  private finishLine(): void {
    this.skipSpaces();
    if (this.text[this.pos] === '#') {
      while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
    }
    if (this.text[this.pos] === '\r' && this.text[this.pos + 1] === '\n') this.pos += 2;
    else if (this.text[this.pos] === '\n') this.pos++;
    else if (this.pos < this.text.length) this.fail('expected the end of the line');
  }

  /** Inside arrays and inline tables: spaces, line breaks and comments. */
  private skipBlank(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else return;
    }
  }

  /** A dotted key: bare, "basic" or 'literal' segments separated by dots. */
  private readKey(): string[] {
    const path: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.text[this.pos];
      if (c === '"') path.push(this.readBasicString());
      else if (c === "'") path.push(this.readLiteralString());
      else {
        const start = this.pos;
        while (this.pos < this.text.length && BARE_KEY.test(this.text[this.pos] as string)) this.pos++;
        if (this.pos === start) this.fail('expected a key');
        path.push(this.text.slice(start, this.pos));
      }
      this.skipSpaces();
      if (this.text[this.pos] !== '.') return path;
      this.pos++;
    }
  }

  private readBasicString(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const escape = this.text[this.pos++];
      switch (escape) {
        case 'b': out += '\b'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'f': out += '\f'; break;
        case 'r': out += '\r'; break;
        case 'e': out += '\x1b'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'x': out += this.readHexChar(2); break;
        case 'u': out += this.readHexChar(4); break;
        case 'U': out += this.readHexChar(8); break;
        default: this.fail('bad escape');
      }
    }
  }

  private readHexChar(digits: number): string {
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits) this.fail('bad escape');
    this.pos += digits;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  private readLiteralString(): string {
    const close = this.text.indexOf("'", this.pos + 1);
    if (close < 0) this.fail('unterminated string');
    const value = this.text.slice(this.pos + 1, close);
    this.pos = close + 1;
    return value;
  }

  private skipValue(): void {
    const text = this.text;
    const start = this.pos;
    if (text.startsWith('"""', this.pos) || text.startsWith("'''", this.pos)) {
      const quote = text[this.pos] as string;
      const delimiter = quote.repeat(3);
      this.pos += 3;
      for (;;) {
        if (this.pos >= text.length) this.fail('unterminated multi-line string');
        if (quote === '"' && text[this.pos] === '\\') {
          this.pos += 2;
          continue;
        }
        if (text.startsWith(delimiter, this.pos)) {
          this.pos += 3;
          // Up to two quotes may sit right before the closing delimiter ("""a"""" is `a"`).
          for (let extra = 0; extra < 2 && text[this.pos] === quote; extra++) this.pos++;
          return;
        }
        this.pos++;
      }
    }
    const c = text[this.pos];
    if (c === '"') {
      this.readBasicString();
      return;
    }
    if (c === "'") {
      this.readLiteralString();
      return;
    }
    if (c === '[') {
      this.pos++;
      for (;;) {
        this.skipBlank();
        if (text[this.pos] === ']') {
          this.pos++;
          return;
        }
        this.skipValue();
        this.skipBlank();
        if (text[this.pos] === ',') this.pos++;
        else if (text[this.pos] !== ']') this.fail('expected "," or "]"');
      }
    }
    if (c === '{') {
      this.pos++;
      for (;;) {
        this.skipBlank();
        if (text[this.pos] === '}') {
          this.pos++;
          return;
        }
        this.readKey();
        this.expect('=');
        this.skipBlank();
        this.skipValue();
        this.skipBlank();
        if (text[this.pos] === ',') this.pos++;
        else if (text[this.pos] !== '}') this.fail('expected "," or "}"');
      }
    }
    // Numbers, booleans, dates and times. A local date followed by a space and a time is one
    // value (TOML allows a space instead of "T").
    while (this.pos < text.length && !BARE_VALUE_STOP.has(text[this.pos] as string)) this.pos++;
    if (/^\d{4}-\d{2}-\d{2}$/.test(text.slice(start, this.pos)) && text[this.pos] === ' ' && /\d/.test(text[this.pos + 1] ?? '')) {
      this.pos++;
      while (this.pos < text.length && !BARE_VALUE_STOP.has(text[this.pos] as string)) this.pos++;
    }
    if (this.pos === start) this.fail('expected a value');
  }
}
