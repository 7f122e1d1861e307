import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigWarning } from '../../../src/config/config-error.js';
import { formatHandlersToml, parseHandlersToml } from '../../../src/workspace/handlers-file.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/workspace/reference/${name}`, import.meta.url), 'utf8');

describe('handlers.toml', () => {
  it('reads shell and LLM handlers with the reference defaults', () => {
    const handlers = parseHandlersToml(fixture('handlers.toml'));
    expect(handlers).toHaveLength(2);
    expect(handlers[0]).toMatchObject({ name: 'echo', command: 'cat >> inbox.log', auto_close: false, enabled: true, filter_from: ['toq://*/bob', 'toq://example.org/*'], filter_key: [] });
    expect(handlers[1]).toMatchObject({
      name: 'assistant',
      provider: 'anthropic',
      model: 'claude-sonnet',
      prompt: 'You are a helpful agent.\nAnswer briefly.',
      max_turns: 8,
      auto_close: true,
      enabled: false,
      filter_type: ['message.send'],
    });
  });

  it('reads the `toq init` file as no handlers', () => {
    expect(parseHandlersToml(fixture('handlers-init.toml'))).toEqual([]);
  });

  it('round-trips, omitting empty strings and lists', () => {
    const handlers = parseHandlersToml(fixture('handlers.toml'));
    const text = formatHandlersToml(handlers);
    expect(parseHandlersToml(text)).toEqual(handlers);
    expect(text).not.toContain('provider = ""');
    expect(text).not.toContain('filter_key =');
    expect(formatHandlersToml([])).toMatch(/\nhandlers = \[\]\n$/);
  });

  it('refuses a mistyped field, naming it, and warns about unknown fields', () => {
    let caught: unknown;
    try {
      parseHandlersToml('[[handlers]]\nname = "x"\nenabled = "yes"\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe('handlers[0].enabled');
    const warnings: ConfigWarning[] = [];
    parseHandlersToml('[[handlers]]\nname = "x"\ncommand = "y"\ncolour = 1\n', { warn: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.key)).toEqual(['handlers[0].colour']);
  });
});
