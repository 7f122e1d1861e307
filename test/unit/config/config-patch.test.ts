import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigWarning } from '../../../src/config/config-error.js';
import { applyConfigPatch } from '../../../src/config/config-patch.js';
import { loadConfig } from '../../../src/config/load-config.js';

const INIT = readFileSync(new URL('../../../fixtures/workspace/reference/config-init.toml', import.meta.url), 'utf8');

function patchError(text: string, patch: unknown): ConfigError {
  try {
    applyConfigPatch(text, patch);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('applyConfigPatch (PATCH /v1/config)', () => {
  it('merges keys into the file, keeping its comments', () => {
    const result = applyConfigPatch(INIT, { port: 9011, a2a_enabled: true, a2a_api_key: 'k' });
    expect(result.config.port).toBe(9011);
    expect(result.config.a2aEnabled).toBe(true);
    expect(result.text).toContain('# Connection mode: open, allowlist, or approval (default)');
    expect(loadConfig(result.text)).toEqual(result.config);
    expect(result.json['port']).toBe(9011);
    expect(result.json['a2a_api_key']).toBe('k');
  });

  it('null removes a key, which falls back to its default', () => {
    const result = applyConfigPatch('agent_name = "alice"\nport = 9011\n', { port: null });
    expect(result.config.port).toBe(9009);
    expect(result.text).toBe('agent_name = "alice"\n');
  });

  it('refuses a wrong type with the key and range, and names nested keys', () => {
    const error = patchError(INIT, { port: 'x' });
    expect(error.key).toBe('port');
    expect(error.message).toBe('port must be an integer from 0 to 65535, got "x" (a string)');
    expect(patchError(INIT, { port: 1.5 }).message).toBe('port must be an integer from 0 to 65535, got 1.5 (a float)');
    expect(patchError(INIT, { accept_files: 1 }).key).toBe('accept_files');
    expect(patchError(INIT, { agents: { helper: { a2a: 'nope' } } }).key).toBe('agents.helper.a2a');
    expect(patchError(INIT, { agents: { helper: 5 } }).key).toBe('agents.helper');
    expect(patchError(INIT, ['port']).key).toBe('');
    expect(patchError(INIT, { port: [1, null] }).key).toBe('port');
  });

  it('echoes unknown keys in the response without saving them, with a warning', () => {
    const warnings: ConfigWarning[] = [];
    const result = applyConfigPatch(INIT, { colour: 'blue' }, { warn: (w) => warnings.push(w) });
    expect(result.text).toBe(INIT);
    expect(result.json['colour']).toBe('blue');
    expect(warnings.map((w) => w.key)).toEqual(['colour']);
    expect(Object.keys(result.json)).toEqual(Object.keys(result.json).sort());
  });

  it('adds, replaces and removes agents tables', () => {
    let text = applyConfigPatch(INIT, { agents: { helper: { a2a: 'http://localhost:8000' }, bob: { toq: 'toq://h/bob' } } }).text;
    expect(loadConfig(text).agents.map((a) => a.name)).toEqual(['helper', 'bob']);
    text = applyConfigPatch(text, { agents: { helper: null } }).text;
    expect(loadConfig(text).agents.map((a) => a.name)).toEqual(['bob']);
    // The top-level keys are still top-level after tables were appended.
    text = applyConfigPatch(text, { log_level: 'info' }).text;
    const config = loadConfig(text);
    expect(config.logLevel).toBe('info');
    expect(config.agents).toEqual([{ kind: 'toq', name: 'bob', toq: 'toq://h/bob' }]);
    expect(applyConfigPatch(text, { agents: null }).config.agents).toEqual([]);
  });

  it('sets and removes the quoted adapter.http table', () => {
    const withTable = applyConfigPatch(INIT, { 'adapter.http': { callback_url: 'http://cb' } });
    expect(withTable.config.adapterHttp).toEqual({ callbackUrl: 'http://cb' });
    expect(withTable.text).toContain('["adapter.http"]');
    expect(applyConfigPatch(withTable.text, { 'adapter.http': null }).config.adapterHttp).toBeUndefined();
  });

  it('checks the document as a whole (a default agent needs its table)', () => {
    expect(patchError(INIT, { a2a_default_agent: 'helper' }).key).toBe('a2a_default_agent');
    const ok = applyConfigPatch(INIT, { a2a_default_agent: 'helper', agents: { helper: { a2a: 'http://h' } } });
    expect(ok.config.a2aDefaultAgent).toBe('helper');
  });
});
