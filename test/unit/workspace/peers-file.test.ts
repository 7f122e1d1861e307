import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ConfigWarning } from '../../../src/config/config-error.js';
import { formatPeersJson, parsePeersJson, upsertPeer } from '../../../src/workspace/peers-file.js';

const FIXTURE = readFileSync(new URL('../../../fixtures/workspace/reference/peers.json', import.meta.url), 'utf8');
const KEY_A = 'ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=';
const KEY_B = 'ed25519:gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=';

describe('peers.json', () => {
  it('reads the reference layout and writes it back byte for byte', () => {
    const peers = parsePeersJson(FIXTURE);
    expect([...peers.keys()]).toEqual([KEY_A, KEY_B]);
    expect(peers.get(KEY_A)).toEqual({ address: 'toq://alice.example:9009/alice', firstSeen: '2025-01-02T03:04:05.678901234Z', lastSeen: '2025-02-03T04:05:06Z' });
    expect(formatPeersJson(peers)).toBe(FIXTURE);
  });

  it('reads "{}" (what a backup without peers restores) and broken JSON as no peers', () => {
    expect(parsePeersJson('{}').size).toBe(0);
    const warnings: ConfigWarning[] = [];
    expect(parsePeersJson('{"peers":', { warn: (w) => warnings.push(w) }).size).toBe(0);
    expect(warnings).toHaveLength(1);
  });

  it('keeps good entries of a partly broken file', () => {
    const warnings: ConfigWarning[] = [];
    const peers = parsePeersJson(JSON.stringify({ peers: { a: { address: 'x', first_seen: 't', last_seen: 't' }, b: { address: 1 } } }), { warn: (w) => warnings.push(w) });
    expect([...peers.keys()]).toEqual(['a']);
    expect(warnings.map((w) => w.key)).toEqual(['peers.b']);
  });

  it('upserts like PeerStore::upsert', () => {
    const peers = parsePeersJson(FIXTURE);
    upsertPeer(peers, KEY_A, '', 'T1');
    expect(peers.get(KEY_A)).toEqual({ address: 'toq://alice.example:9009/alice', firstSeen: '2025-01-02T03:04:05.678901234Z', lastSeen: 'T1' });
    upsertPeer(peers, KEY_A, 'toq://new/alice', 'T2');
    expect(peers.get(KEY_A)?.address).toBe('toq://new/alice');
    upsertPeer(peers, 'ed25519:new', 'toq://h/n', 'T3');
    expect(peers.get('ed25519:new')).toEqual({ address: 'toq://h/n', firstSeen: 'T3', lastSeen: 'T3' });
  });

  it('writes an empty store as the reference does', () => {
    expect(formatPeersJson(new Map())).toBe('{\n  "peers": {}\n}');
  });
});
