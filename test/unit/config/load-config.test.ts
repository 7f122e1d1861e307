import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigWarning } from '../../../src/config/config-error.js';
import { configToJson } from '../../../src/config/config-json.js';
import { CONFIG_KEYS } from '../../../src/config/config-schema.js';
import { defaultConfig, loadConfig, loadConfigFile } from '../../../src/config/load-config.js';

interface ConfigCase {
  id: string;
  comment: string;
  toml: string;
  json?: Record<string, unknown>;
  warnings?: string[];
  error?: { key: string; message: string | null };
}

const fixtureUrl = (name: string): URL => new URL(`../../../fixtures/workspace/${name}`, import.meta.url);
const cases = (JSON.parse(readFileSync(fixtureUrl('config-cases.json'), 'utf8')) as { cases: ConfigCase[] }).cases;
const readFixture = (name: string): string => readFileSync(fixtureUrl(name), 'utf8');

function load(text: string): { json: Record<string, unknown>; warnings: ConfigWarning[] } {
  const warnings: ConfigWarning[] = [];
  const config = loadConfig(text, { warn: (w) => warnings.push(w) });
  return { json: configToJson(config), warnings };
}

describe('loadConfig: fixtures/workspace/config-cases.json', () => {
  for (const c of cases) {
    it(c.id, () => {
      if (c.error !== undefined) {
        let caught: unknown;
        try {
          loadConfig(c.toml);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(ConfigError);
        const error = caught as ConfigError;
        expect(error.code).toBe('invalid_config');
        expect(error.key).toBe(c.error.key);
        if (c.error.message !== null) expect(error.message).toBe(c.error.message);
        return;
      }
      const { json, warnings } = load(c.toml);
      for (const [key, value] of Object.entries(c.json ?? {})) {
        if (value === null) expect(json, key).not.toHaveProperty([key]);
        else expect(json[key], key).toEqual(value);
      }
      expect(warnings.map((w) => w.key).sort()).toEqual([...(c.warnings ?? [])].sort());
    });
  }
});

describe('loadConfig: reference-written files', () => {
  it('reads a `toq init` config (port 0 with an inline comment)', () => {
    const config = loadConfig(readFixture('reference/config-init.toml'));
    expect(config.agentName).toBe('alice');
    expect(config.port).toBe(0);
    expect(config.host).toBe('localhost');
    expect(config.connectionMode).toBe('approval');
  });

  it('reads a `toq init --host --port` config', () => {
    const config = loadConfig(readFixture('reference/config-init-host.toml'));
    expect([config.agentName, config.host, config.port]).toEqual(['bob', 'bob.example.org', 9010]);
  });

  it('reads a `toq setup` config with every key and no warnings', () => {
    const warnings: ConfigWarning[] = [];
    const config = loadConfig(readFixture('reference/config-setup.toml'), { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(config.host).toBe('192.168.1.20');
    expect(config.connectionMode).toBe('open');
    expect(config.a2aApiKey).toBeUndefined();
    expect(config.agents).toEqual([]);
  });

  it('reads the optional keys and the quoted ["adapter.http"] table', () => {
    const config = loadConfig(readFixture('reference/config-setup-a2a.toml'));
    expect(config.a2aEnabled).toBe(true);
    expect(config.a2aApiKey).toBe('s3cret');
    expect(config.messageHistoryLimit).toBe(500);
    expect(config.adapterHttp).toEqual({ callbackUrl: 'http://127.0.0.1:8080/toq' });
    expect(config.connectionMode).toBe('dns-verified');
    expect(config.logLevel).toBe('debug');
    expect(config.verbosity).toBe('technical');
    expect(config.maxFileSize).toBe(5_242_880);
    expect(config.logRetentionDays).toBe(7);
  });

  it('reads the gateway keys and agents tables in file order', () => {
    const config = loadConfig(readFixture('gateway-config.toml'));
    expect(config.outboxTtl).toBe(3600);
    expect(config.historyRetentionDays).toBe(7);
    expect(config.a2aDefaultAgent).toBe('helper');
    expect(config.a2aPrincipalIdentities).toBe(true);
    expect(config.tlsCert).toBe('certs/fullchain.pem');
    expect(config.agents).toEqual([
      { kind: 'a2a', name: 'helper', a2a: 'http://localhost:8000', authEnv: 'HELPER_TOKEN' },
      { kind: 'toq', name: 'bob', toq: 'toq://bob.example.org/bob' },
    ]);
  });
});

describe('Config object', () => {
  it('is frozen, with frozen agents', () => {
    const config = loadConfig('[agents.x]\na2a = "http://a"\n');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.agents)).toBe(true);
    expect(Object.isFrozen(config.agents[0])).toBe(true);
  });

  it('keeps the written connection_mode and reports the fallback in force', () => {
    const config = loadConfig('connection_mode = "Open"');
    expect(config.connectionModeText).toBe('Open');
    expect(config.connectionMode).toBe('approval');
  });

  it('clamps integers above 2^53 with a warning (the reference takes them as u64)', () => {
    const warnings: ConfigWarning[] = [];
    const config = loadConfig('max_connections = 9223372036854775807', { warn: (w) => warnings.push(w) });
    expect(config.maxConnections).toBe(Number.MAX_SAFE_INTEGER);
    expect(warnings.map((w) => w.key)).toEqual(['max_connections']);
  });

  it('defaultConfig() equals the defaults of every scalar key in the schema', () => {
    const config = defaultConfig() as unknown as Record<string, unknown>;
    for (const spec of CONFIG_KEYS) expect(config[spec.property], spec.key).toBe(spec.default);
  });

  it('loadConfigFile of a missing file is all defaults', () => {
    expect(loadConfigFile('/nonexistent/dir/config.toml')).toEqual(defaultConfig());
  });
});

describe('configToJson (GET /v1/config)', () => {
  it('lists keys in byte order, like serde_json maps', () => {
    const keys = Object.keys(configToJson(loadConfig(readFixture('reference/config-setup-a2a.toml'))));
    expect(keys).toEqual([...keys].sort());
    expect(keys).toContain('adapter.http');
    expect(keys.indexOf('adapter')).toBeLessThan(keys.indexOf('adapter.http'));
  });

  it('round-trips through a PATCH-shaped reload: every value is the file value', () => {
    const json = configToJson(loadConfig(readFixture('reference/config-setup.toml')));
    expect(json['host']).toBe('192.168.1.20');
    expect(json['max_file_size']).toBe(10_485_760);
    expect(json).not.toHaveProperty('a2a_api_key');
    expect(json).not.toHaveProperty('agents');
  });
});
