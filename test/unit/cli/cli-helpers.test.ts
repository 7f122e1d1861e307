// Pure helpers of the CLI: body text, columns, pino log lines, config value parsing and the
// API-code → exit-code table (docs/CLI.md lists the codes).

import { describe, expect, it } from 'vitest';
import { findKeySpec } from '../../../src/config/config-schema.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseConfigValue } from '../../../src/cli/config-edits.js';
import { exitCodeForApiCode } from '../../../src/cli/exit-codes.js';
import { bodyText, columns, formatLogLine } from '../../../src/cli/format.js';

describe('format', () => {
  it('bodyText prints body.text, else compact JSON, else nothing', () => {
    expect(bodyText({ text: 'hi' })).toBe('hi');
    expect(bodyText({ text: 5 })).toBe('{"text":5}');
    expect(bodyText(['a'])).toBe('["a"]');
    expect(bodyText(undefined)).toBe('');
  });

  it('columns pads every column but the last', () => {
    expect(columns([['a', 'bb', 'c'], ['ccc', 'd', 'eeee']])).toBe('a    bb  c\nccc  d   eeee');
  });

  it('formatLogLine renders pino JSON and leaves other lines alone', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 1, hostname: 'h', port: 9009, msg: 'peer slow' });
    expect(formatLogLine(line)).toBe('2026-01-02T03:04:05.000Z WARN peer slow port=9009');
    expect(formatLogLine('error: boom')).toBe('error: boom');
    expect(formatLogLine('{"id":"x","type":"message.send"}')).toBe('{"id":"x","type":"message.send"}');
  });
});

describe('parseConfigValue', () => {
  const spec = (key: string) => {
    const found = findKeySpec(key);
    if (found === undefined) throw new Error(key);
    return found;
  };

  it('reads each key in its type', () => {
    expect(parseConfigValue(spec('port'), '9100')).toBe(9100n);
    expect(parseConfigValue(spec('a2a_enabled'), 'false')).toBe(false);
    expect(parseConfigValue(spec('connection_mode'), 'dns-verified')).toBe('dns-verified');
    expect(parseConfigValue(spec('agent_name'), 'bob')).toBe('bob');
  });

  it.each([
    ['port', '65536'],
    ['port', '-1'],
    ['port', '1.5'],
    ['accept_files', 'TRUE'],
    ['log_level', 'trace'],
    ['connection_mode', 'closed'],
  ])('%s = %s is a ConfigError naming the key', (key, text) => {
    let caught: unknown;
    try {
      parseConfigValue(spec(key), text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(key);
    expect((caught as Error).message).toContain(key);
  });
});

describe('exitCodeForApiCode', () => {
  it('maps delivery failures to 4, timeouts to 5, the rest to 1', () => {
    expect(exitCodeForApiCode('not_reachable')).toBe(4);
    expect(exitCodeForApiCode('a2a_send_failed')).toBe(4);
    expect(exitCodeForApiCode('delivery_timeout')).toBe(5);
    expect(exitCodeForApiCode('invalid_address')).toBe(1);
    expect(exitCodeForApiCode('http_415')).toBe(1);
  });
});
