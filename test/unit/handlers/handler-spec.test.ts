import { describe, expect, it } from 'vitest';

import { HandlerSpecError, isLlmHandler, parseHandlerSpec, validateHandlerSpec } from '../../../src/handlers/handler-spec.js';

describe('parseHandlerSpec', () => {
  it('applies the handlers.toml defaults', () => {
    expect(parseHandlerSpec({ name: 'h', command: 'echo hi' })).toEqual({
      name: 'h',
      command: 'echo hi',
      provider: undefined,
      model: undefined,
      prompt: undefined,
      prompt_file: undefined,
      max_turns: undefined,
      auto_close: false,
      enabled: true,
      filter_from: [],
      filter_key: [],
      filter_type: [],
    });
  });

  it('reads every field and folds empty command/provider/model into absent', () => {
    const spec = parseHandlerSpec({
      name: 'bot',
      command: '',
      provider: 'anthropic',
      model: 'claude',
      prompt: 'be brief',
      prompt_file: 'p.txt',
      max_turns: 3n,
      auto_close: true,
      enabled: false,
      filter_from: ['*'],
      filter_key: ['ed25519:x'],
      filter_type: ['message.send'],
    });
    expect(spec.command).toBeUndefined();
    expect(spec.max_turns).toBe(3);
    expect(spec.auto_close).toBe(true);
    expect(spec.enabled).toBe(false);
    expect(isLlmHandler(spec)).toBe(true);
  });

  for (const [id, input, field] of [
    ['missing-name', { command: 'x' }, 'name'],
    ['empty-name', { name: '', command: 'x' }, 'name'],
    ['command-not-string', { name: 'h', command: 1 }, 'command'],
    ['negative-turns', { name: 'h', max_turns: -1 }, 'max_turns'],
    ['fractional-turns', { name: 'h', max_turns: 1.5 }, 'max_turns'],
    ['enabled-not-bool', { name: 'h', enabled: 'yes' }, 'enabled'],
    ['filter-not-list', { name: 'h', filter_from: 'toq://a/b' }, 'filter_from'],
  ] as const) {
    it(`refuses ${id}`, () => {
      const err = (() => {
        try {
          parseHandlerSpec(input);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(HandlerSpecError);
      expect((err as HandlerSpecError).field).toBe(field);
      expect((err as HandlerSpecError).code).toBe('invalid_handler');
    });
  }
});

describe('validateHandlerSpec (the CLI rules)', () => {
  const cases: [string, Record<string, unknown>, string | undefined][] = [
    ['shell-ok', { command: 'echo' }, undefined],
    ['llm-ok', { provider: 'ollama', model: 'llama3' }, undefined],
    ['neither', {}, 'specify command or provider'],
    ['both', { command: 'echo', provider: 'openai', model: 'x' }, 'cannot use both command and provider'],
    ['unknown-provider', { provider: 'gemini', model: 'x' }, 'provider must be openai, anthropic, bedrock, or ollama'],
    ['no-model', { provider: 'bedrock' }, 'model is required for LLM handlers'],
  ];
  for (const [id, fields, message] of cases) {
    it(id, () => {
      const spec = parseHandlerSpec({ name: 'h', ...fields });
      if (message === undefined) expect(() => validateHandlerSpec(spec)).not.toThrow();
      else expect(() => validateHandlerSpec(spec)).toThrow(message);
    });
  }
});
