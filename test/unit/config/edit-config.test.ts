import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  formatTomlKey,
  formatTomlValue,
  removeAgentTable,
  removeConfigTable,
  setAgentTable,
  setConfigKey,
  setConfigTable,
  unsetConfigKey,
} from '../../../src/config/edit-config.js';
import { ConfigError } from '../../../src/config/config-error.js';

// Expected documents are computed here independently: parse the original with smol-toml, apply
// the edit to the plain object, and compare with the parse of the edited text.
type Doc = Record<string, unknown>;
const parseDoc = (text: string): Doc => parse(text, { integersAsBigInt: true }) as Doc;

function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v);
      // An empty table means nothing to the config (no agents); edits may leave `[agents]` behind.
      if (typeof n === 'object' && n !== null && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return value instanceof Date ? value.toISOString() : value;
}

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/workspace/${name}`, import.meta.url), 'utf8');

const SHAPES: Record<string, string> = {
  empty: '',
  'only-comment': '# just a comment\n',
  'root-keys': '# head\nagent_name = "alice"\nport = 9009\n',
  'root-no-final-newline': '# head\nagent_name = "alice"\nport = 9009',
  'root-then-table': '# head\nagent_name = "alice"\n\n[agents.x]\na2a = "http://a"\n',
  'table-last-no-newline': 'agent_name = "alice"\n[agents.x]\na2a = "http://a"',
  'only-table': '[agents.x]\na2a = "http://a"\n',
  'comment-then-table': '# config\n\n# the x agent\n[agents.x]\n# inside\na2a = "http://a"\n',
  'comment-glued-to-table': '# the x agent\n[agents.x]\na2a = "http://a"\n',
  crlf: '# head\r\nagent_name = "alice"\r\n\r\n[agents.x]\r\na2a = "http://a"\r\n',
  'inline-comment': 'port = 9009 # the port\nagent_name = "alice"   # who\n',
  'dotted-agent': '# head\nagents.x.toq = "toq://h/x"\nport = 1\n',
  'agents-section-inline': '# head\nport = 1\n[agents]\nbob = { toq = "toq://h/bob" }\n',
  'multiline-values': 'note = """\nport = 1\n[agents.y]\n"""\narr = [\n  1, # one\n  2,\n]\n[agents.x]\na2a = "http://a"\n',
  'quoted-table-last': 'agent_name = "alice"\n\n["adapter.http"]\ncallback_url = "http://cb"\n',
  'array-of-tables-last': 'agent_name = "alice"\n\n[[things]]\na = 1\n\n[[things]]\na = 2\n',
  subtables: 'port = 1\n[agents.x]\na2a = "http://a"\n[agents.x.extra]\ny = 1\n[agents.z]\ntoq = "toq://h/z"\n',
  'port-as-table': '[port]\nvalue = 1\n\n[agents.x]\na2a = "http://a"\n',
  'tricky-tokens': 'a = "x # not a comment" # real\nb = \'y # z\'\nc = \'\'\'\n[agents.q]\n\'\'\'\nd = 1979-05-27 07:32:00Z\n[ agents . "x" ] # header comment\na2a = "http://a"\n',
  'indented-and-dotted-in-table': 'port = 1\n[agents]\n  x.a2a = "http://a"\n  z = { toq = "toq://h/z" }\n',
  'byte-order-mark': '\uFEFF# c\n[agents.x]\na2a = "http://a"\n',
  'setup-file': fixture('reference/config-setup-a2a.toml'),
  'gateway-file': fixture('gateway-config.toml'),
};

/** Shapes where the line editor cannot help (an inline parent table): a rewrite is expected. */
const INLINE_ROOT = 'agents = { bob = { toq = "toq://h/bob" } }\nport = 1\n';

interface Op {
  id: string;
  edit: (text: string, onRewrite: (reason: string) => void) => string;
  apply: (doc: Doc) => void;
}

const ensure = (doc: Doc, key: string): Doc => {
  const current = doc[key];
  if (typeof current === 'object' && current !== null && !Array.isArray(current)) return current as Doc;
  const created: Doc = {};
  doc[key] = created;
  return created;
};

const OPS: Op[] = [
  { id: 'set-existing-port', edit: (t, r) => setConfigKey(t, 'port', 9010, { onRewrite: r }), apply: (d) => void (d['port'] = 9010n) },
  { id: 'add-bool', edit: (t, r) => setConfigKey(t, 'a2a_enabled', true, { onRewrite: r }), apply: (d) => void (d['a2a_enabled'] = true) },
  {
    id: 'add-tricky-string',
    edit: (t, r) => setConfigKey(t, 'a2a_api_key', 'q"b\\n\nt\t\u0001é', { onRewrite: r }),
    apply: (d) => void (d['a2a_api_key'] = 'q"b\\n\nt\t\u0001é'),
  },
  { id: 'unset-port', edit: (t, r) => unsetConfigKey(t, 'port', { onRewrite: r }), apply: (d) => void delete d['port'] },
  {
    id: 'add-agent',
    edit: (t, r) => setAgentTable(t, 'helper', { a2a: 'http://localhost:8000', auth_env: 'TOK' }, { onRewrite: r }),
    apply: (d) => void (ensure(d, 'agents')['helper'] = { a2a: 'http://localhost:8000', auth_env: 'TOK' }),
  },
  {
    id: 'replace-agent-x',
    edit: (t, r) => setAgentTable(t, 'x', { toq: 'toq://h/x2' }, { onRewrite: r }),
    apply: (d) => void (ensure(d, 'agents')['x'] = { toq: 'toq://h/x2' }),
  },
  {
    id: 'remove-agent-x',
    edit: (t, r) => removeAgentTable(t, 'x', { onRewrite: r }),
    apply: (d) => {
      const agents = d['agents'];
      if (typeof agents === 'object' && agents !== null) delete (agents as Doc)['x'];
    },
  },
  {
    id: 'set-quoted-table',
    edit: (t, r) => setConfigTable(t, ['adapter.http'], { callback_url: 'http://new' }, { onRewrite: r }),
    apply: (d) => void (d['adapter.http'] = { callback_url: 'http://new' }),
  },
];

function commentLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('#'));
}

describe('edit-config: every edit on every shape yields the intended document, structurally', () => {
  for (const [shape, text] of Object.entries(SHAPES)) {
    for (const op of OPS) {
      it(`${shape} / ${op.id}`, () => {
        const rewrites: string[] = [];
        const result = op.edit(text, (reason) => rewrites.push(reason));
        const intended = parseDoc(text);
        op.apply(intended);
        expect(normalize(parseDoc(result))).toEqual(normalize(intended));
        expect(rewrites).toEqual([]);
        // Comments survive unless the edit removed the section that held them.
        const isRemoval = op.id.startsWith('remove') || op.id.startsWith('replace') || op.id.startsWith('unset');
        if (!isRemoval) for (const comment of commentLines(text)) expect(result).toContain(comment);
        // CRLF files stay CRLF.
        if (text.includes('\r\n')) expect(result.replace(/\r\n/g, '')).not.toContain('\n');
      });
    }
  }
});

describe('edit-config: the top-level-key trap', () => {
  it('never appends a top-level key after a trailing table', () => {
    const text = 'agent_name = "alice"\n\n[agents.x]\na2a = "http://a"\n';
    expect(setConfigKey(text, 'a2a_enabled', true)).toBe('agent_name = "alice"\na2a_enabled = true\n\n[agents.x]\na2a = "http://a"\n');
  });

  it('puts a key before the first table when the root has no keys, above the comments that introduce it', () => {
    const text = '# file header\n\n# the x agent\n[agents.x]\na2a = "http://a"\n';
    expect(setConfigKey(text, 'port', 9010)).toBe('# file header\n\nport = 9010\n\n# the x agent\n[agents.x]\na2a = "http://a"\n');
  });

  it('keeps a byte-order mark first', () => {
    expect(setConfigKey('\uFEFF# c\n[agents.x]\na2a = "http://a"\n', 'port', 1)).toBe('\uFEFFport = 1\n\n# c\n[agents.x]\na2a = "http://a"\n');
  });

  it('replaces only the value, keeping an inline comment and spacing', () => {
    expect(setConfigKey('port   =   9009   # mine\n', 'port', 1)).toBe('port   =   1   # mine\n');
  });

  it('appends a new table at the end with one blank line before it', () => {
    expect(setAgentTable('port = 1', 'helper', { a2a: 'http://h' })).toBe('port = 1\n\n[agents.helper]\na2a = "http://h"\n');
  });

  it('edits an existing table in place, keeping its comments and member order', () => {
    const text = '[agents.x]\n# token from env\nauth_env = "OLD"\na2a = "http://a"\n\n[agents.z]\ntoq = "toq://h/z"\n';
    const result = setAgentTable(text, 'x', { a2a: 'http://b', auth_env: 'NEW' });
    expect(result).toBe('[agents.x]\n# token from env\nauth_env = "NEW"\na2a = "http://b"\n\n[agents.z]\ntoq = "toq://h/z"\n');
  });

  it('drops members not in the new table', () => {
    const result = setAgentTable('[agents.x]\na2a = "http://a"\nauth = "Bearer t"\n', 'x', { a2a: 'http://a' });
    expect(result).toBe('[agents.x]\na2a = "http://a"\n');
  });

  it('removes a table and leaves its neighbours alone', () => {
    const text = 'port = 1\n\n[agents.x]\na2a = "http://a"\n\n# bob\n[agents.bob]\ntoq = "toq://h/bob"\n';
    expect(removeAgentTable(text, 'x')).toBe('port = 1\n\n# bob\n[agents.bob]\ntoq = "toq://h/bob"\n');
  });

  it('unset of an absent key returns the text unchanged', () => {
    const text = '# c\nport = 1\n';
    expect(unsetConfigKey(text, 'host')).toBe(text);
  });
});

describe('edit-config: layouts beyond the line editor', () => {
  it('re-serializes when the parent is an inline table, and says so', () => {
    const rewrites: string[] = [];
    const result = setAgentTable(INLINE_ROOT, 'helper', { a2a: 'http://h' }, { onRewrite: (r) => rewrites.push(r) });
    expect(rewrites).toHaveLength(1);
    const doc = parseDoc(result) as { agents: Doc; port: bigint };
    expect(doc.port).toBe(1n);
    expect(doc.agents).toEqual({ bob: { toq: 'toq://h/bob' }, helper: { a2a: 'http://h' } });
  });

  it('keeps floats floats in a rewrite', () => {
    const result = removeAgentTable('ratio = 2.0\nagents = { x = { toq = "toq://h/x" } }\n', 'x', { onRewrite: () => undefined });
    expect(parseDoc(result)['ratio']).toBe(2);
    expect(typeof parseDoc(result)['ratio']).toBe('number');
  });
});

describe('edit-config: input checks', () => {
  it('refuses text that is not TOML with a ConfigError', () => {
    expect(() => setConfigKey('port = = 1', 'port', 1)).toThrow(ConfigError);
  });

  it('refuses empty keys and paths as misuse', () => {
    expect(() => setConfigKey('', '', 1)).toThrow(RangeError);
    expect(() => removeConfigTable('', [])).toThrow(RangeError);
  });

  it('formats keys and values as TOML', () => {
    expect(formatTomlKey('adapter.http')).toBe('"adapter.http"');
    expect(formatTomlKey('a2a_enabled')).toBe('a2a_enabled');
    expect(formatTomlValue(['a', 1, true])).toBe('["a", 1, true]');
    expect(formatTomlValue({ a: 1, 'b c': 'x' })).toBe('{ a = 1, "b c" = "x" }');
    expect(formatTomlValue('\u007f')).toBe('"\\u007f"');
    expect(formatTomlValue(1.5)).toBe('1.5');
    expect(() => formatTomlValue(2 ** 60)).toThrow(RangeError);
  });
});
