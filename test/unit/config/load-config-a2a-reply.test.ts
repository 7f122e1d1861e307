// The a2a_reply_state and a2a_blocking_timeout keys and their per-agent overrides reply_state and
// blocking_timeout in toq-upstream tables (DESIGN §5.2): defaults, accepted values, refusals that
// name the key and what it accepts, refusal in a2a-upstream tables, and GET /v1/config's view.

import { describe, expect, it } from 'vitest';
import { load, refusal } from '../../helpers/config-load.js';
import { configToJson } from '../../../src/config/config-json.js';
import { findKeySpec } from '../../../src/config/config-schema.js';
import { applyConfigPatch } from '../../../src/config/config-patch.js';
import { defaultConfig, loadConfig } from '../../../src/config/load-config.js';

const TOQ_BOB = '[agents.bob]\ntoq = "toq://peer.example/carol"\n';

describe('a2a_reply_state and a2a_blocking_timeout (top level)', () => {
  it('default: completed and 30 s, shown by GET /v1/config', () => {
    const config = defaultConfig();
    expect(config.a2aReplyState).toBe('completed');
    expect(config.a2aBlockingTimeout).toBe(30);
    expect(configToJson(config)).toMatchObject({ a2a_reply_state: 'completed', a2a_blocking_timeout: 30 });
  });

  it('accepts input-required and the bounds 1 and 3600, without warnings', () => {
    const { config, warnings } = load('a2a_reply_state = "input-required"\na2a_blocking_timeout = 1\n');
    expect(config.a2aReplyState).toBe('input-required');
    expect(config.a2aBlockingTimeout).toBe(1);
    expect(warnings).toEqual([]);
    expect(load('a2a_reply_state = "completed"\na2a_blocking_timeout = 3600\n').config.a2aBlockingTimeout).toBe(3600);
  });

  it('refuses an unknown state, naming the key and the accepted values', () => {
    expect(refusal('a2a_reply_state = "done"\n')).toEqual({ key: 'a2a_reply_state', message: 'a2a_reply_state must be one of completed, input-required, got "done"' });
    // Only the two states a conversational or one-shot agent means; the others are a reply's to name.
    expect(refusal('a2a_reply_state = "failed"\n').key).toBe('a2a_reply_state');
    expect(refusal('a2a_reply_state = true\n')).toEqual({ key: 'a2a_reply_state', message: 'a2a_reply_state must be a string, got true (a boolean)' });
  });

  it('refuses a blocking timeout out of range or not an integer, naming the range', () => {
    expect(refusal('a2a_blocking_timeout = 0\n')).toEqual({ key: 'a2a_blocking_timeout', message: 'a2a_blocking_timeout must be an integer from 1 to 3600, got 0' });
    expect(refusal('a2a_blocking_timeout = 3601\n').message).toBe('a2a_blocking_timeout must be an integer from 1 to 3600, got 3601');
    expect(refusal('a2a_blocking_timeout = 1.5\n').message).toBe('a2a_blocking_timeout must be an integer from 1 to 3600, got 1.5 (a float)');
    expect(refusal('a2a_blocking_timeout = "30"\n').message).toBe('a2a_blocking_timeout must be an integer from 1 to 3600, got "30" (a string)');
  });

  it('are restart keys (not applied live), and say so', () => {
    for (const key of ['a2a_reply_state', 'a2a_blocking_timeout']) {
      const spec = findKeySpec(key);
      expect(spec?.isLive, key).toBe(false);
      expect(spec?.use, key).toMatch(/restart needed/);
    }
  });
});

describe('reply_state and blocking_timeout in [agents.<name>] tables', () => {
  it('a toq-upstream table without them leaves them unset (the top-level keys apply)', () => {
    const config = loadConfig(`a2a_reply_state = "input-required"\n${TOQ_BOB}`);
    expect(config.agents).toEqual([{ kind: 'toq', name: 'bob', toq: 'toq://peer.example/carol' }]);
    expect(config.a2aReplyState).toBe('input-required');
  });

  it('a toq-upstream table may override both, and GET /v1/config shows the overrides', () => {
    const { config, warnings } = load(`${TOQ_BOB}reply_state = "input-required"\nblocking_timeout = 5\n[agents.dave]\ntoq = "toq://peer.example/dave"\nreply_state = "completed"\n`);
    expect(warnings).toEqual([]);
    expect(config.agents).toEqual([
      { kind: 'toq', name: 'bob', toq: 'toq://peer.example/carol', replyState: 'input-required', blockingTimeout: 5 },
      { kind: 'toq', name: 'dave', toq: 'toq://peer.example/dave', replyState: 'completed' },
    ]);
    expect(configToJson(config)['agents']).toEqual({
      bob: { toq: 'toq://peer.example/carol', reply_state: 'input-required', blocking_timeout: 5 },
      dave: { toq: 'toq://peer.example/dave', reply_state: 'completed' },
    });
  });

  it('refuses bad values, naming the member and what it accepts', () => {
    expect(refusal(`${TOQ_BOB}reply_state = "input_required"\n`)).toEqual({ key: 'agents.bob.reply_state', message: 'agents.bob.reply_state must be one of completed, input-required, got "input_required"' });
    expect(refusal(`${TOQ_BOB}reply_state = 1\n`)).toEqual({ key: 'agents.bob.reply_state', message: 'agents.bob.reply_state must be a string, got 1' });
    expect(refusal(`${TOQ_BOB}blocking_timeout = 0\n`)).toEqual({ key: 'agents.bob.blocking_timeout', message: 'agents.bob.blocking_timeout must be an integer from 1 to 3600 (seconds), got 0' });
    expect(refusal(`${TOQ_BOB}blocking_timeout = 3601\n`).key).toBe('agents.bob.blocking_timeout');
    expect(refusal(`${TOQ_BOB}blocking_timeout = "5"\n`).message).toBe('agents.bob.blocking_timeout must be an integer from 1 to 3600 (seconds), got "5" (a string)');
  });

  it('refuses them in an a2a-upstream table, where they mean nothing', () => {
    const a2a = '[agents.helper]\na2a = "http://127.0.0.1:8000"\n';
    expect(refusal(`${a2a}reply_state = "input-required"\n`)).toEqual({
      key: 'agents.helper.reply_state',
      message: '[agents.helper] is an a2a upstream; reply_state and blocking_timeout apply to toq upstreams (toq = "toq://...") only',
    });
    expect(refusal(`${a2a}blocking_timeout = 5\n`).key).toBe('agents.helper.blocking_timeout');
  });

  it('PATCH /v1/config can set them in a table (the file keeps the TOML integer)', () => {
    const result = applyConfigPatch(TOQ_BOB, { agents: { bob: { toq: 'toq://peer.example/carol', reply_state: 'input-required', blocking_timeout: 7 } } });
    expect(result.config.agents[0]).toMatchObject({ replyState: 'input-required', blockingTimeout: 7 });
    expect(loadConfig(result.text).agents).toEqual(result.config.agents);
    expect(() => applyConfigPatch(TOQ_BOB, { agents: { bob: { toq: 'toq://peer.example/carol', blocking_timeout: 0 } } })).toThrow(/agents\.bob\.blocking_timeout must be an integer from 1 to 3600/);
  });
});
