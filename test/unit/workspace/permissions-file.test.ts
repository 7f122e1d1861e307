import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigWarning } from '../../../src/config/config-error.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { PolicyEngine } from '../../../src/protocol/policy.js';
import {
  EMPTY_PERMISSIONS,
  formatPermissionsToml,
  parsePermissionsToml,
  permissionsToPolicyState,
  policyStateToPermissions,
  readPermissionsFile,
  writePermissionsFileSync,
} from '../../../src/workspace/permissions-file.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/workspace/reference/${name}`, import.meta.url), 'utf8');
const KEY_A = 'ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=';
const KEY_B = 'ed25519:gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=';
const KEY_C = 'ed25519:7UkoxijRwsbq6QM4kFmVYSlZJzpcY/k2NsFGFKyHN9E=';

describe('permissions.toml', () => {
  it('reads a reference file with a comment header, skipping bad entries with warnings', () => {
    const warnings: ConfigWarning[] = [];
    const file = parsePermissionsToml(fixture('permissions.toml'), { warn: (w) => warnings.push(w) });
    // The duplicate approve rule collapses, as in the reference's loader.
    expect(file.approved).toEqual([
      { type: 'key', value: KEY_A },
      { type: 'address', value: 'toq://*/carol' },
    ]);
    expect(file.blocked).toEqual([
      { type: 'key', value: KEY_B },
      { type: 'address', value: 'toq://spam.example/*' },
    ]);
    expect(file.pending).toEqual([{ key: KEY_C, address: 'toq://dave.example:9009/dave', requestedAt: '2025-03-04T05:06:07.123456789Z' }]);
    expect(warnings.map((w) => w.key)).toEqual(['approved[2]', 'blocked[2]', 'pending[1]']);
  });

  it('reads the `toq init` file as empty', () => {
    expect(parsePermissionsToml(fixture('permissions-init.toml'))).toEqual({ approved: [], blocked: [], pending: [] });
  });

  it('refuses text that is not TOML', () => {
    expect(() => parsePermissionsToml('approved = [')).toThrow(ConfigError);
  });

  it('tolerates a non-array member with a warning', () => {
    const warnings: ConfigWarning[] = [];
    expect(parsePermissionsToml('approved = "x"', { warn: (w) => warnings.push(w) }).approved).toEqual([]);
    expect(warnings.map((w) => w.key)).toEqual(['approved']);
  });

  it('writes a header and round-trips', () => {
    const file = parsePermissionsToml(fixture('permissions.toml'));
    const text = formatPermissionsToml(file);
    expect(text.startsWith('# ')).toBe(true);
    expect(parsePermissionsToml(text)).toEqual(file);
    const empty = formatPermissionsToml(EMPTY_PERMISSIONS);
    expect(empty).toContain('approved = []\nblocked = []\npending = []\n');
    expect(parsePermissionsToml(empty)).toEqual({ approved: [], blocked: [], pending: [] });
  });

  it('converts to and from the PolicyEngine state (requested_at ↔ requestedAtMs)', () => {
    const file = parsePermissionsToml(fixture('permissions.toml'));
    const state = permissionsToPolicyState(file);
    expect(state.pending).toEqual([{ publicKey: KEY_C, address: 'toq://dave.example:9009/dave', requestedAtMs: Date.UTC(2025, 2, 4, 5, 6, 7, 123) }]);
    const engine = PolicyEngine.fromJSON(state, { mode: 'approval' }, { now: () => 0 });
    expect(engine.loadWarnings).toEqual([]);
    const back = policyStateToPermissions(engine.toJSON());
    expect(back.approved).toEqual(file.approved);
    expect(back.blocked).toEqual(file.blocked);
    expect(back.pending).toEqual([{ key: KEY_C, address: 'toq://dave.example:9009/dave', requestedAt: '2025-03-04T05:06:07.123Z' }]);
  });

  it('skips a pending entry whose time does not parse, with a warning', () => {
    const warnings: ConfigWarning[] = [];
    const state = permissionsToPolicyState({ approved: [], blocked: [], pending: [{ key: KEY_A, address: 'toq://h/a', requestedAt: 'yesterday' }] }, { warn: (w) => warnings.push(w) });
    expect(state.pending).toEqual([]);
    expect(warnings.map((w) => w.key)).toEqual(['pending[0].requested_at']);
  });

  it('reads a missing file as empty and writes atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toq-perm-'));
    try {
      const path = join(dir, 'permissions.toml');
      expect(readPermissionsFile(path)).toEqual(EMPTY_PERMISSIONS);
      const file = { approved: [{ type: 'key' as const, value: KEY_A }], blocked: [], pending: [] };
      writePermissionsFileSync(path, file);
      expect(readPermissionsFile(path)).toEqual(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
