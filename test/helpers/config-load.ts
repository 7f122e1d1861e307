// loadConfig as the config tests call it: the config with the warnings it gave, or the refusal
// (key and message) it threw.

import { expect } from 'vitest';
import { ConfigError, type ConfigWarning } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

/** The ConfigError `text` is refused with; fails the test if it loads. */
export function refusal(text: string): { key: string; message: string } {
  try {
    loadConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { key: (err as ConfigError).key, message: (err as ConfigError).message };
  }
  throw new Error('expected a ConfigError');
}

/** The config `text` loads to, and the warnings it gave on the way. */
export function load(text: string): { config: ReturnType<typeof loadConfig>; warnings: ConfigWarning[] } {
  const warnings: ConfigWarning[] = [];
  return { config: loadConfig(text, { warn: (w) => warnings.push(w) }), warnings };
}
