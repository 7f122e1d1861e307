// PrincipalIdentities' cap (DESIGN §4, docs/LIMITS.md): least recently used identities without an
// open turn are evicted, those with one are kept (the cap gives way, one warning per crossing),
// and the same principal registers its same identity again. Real HostedAgents, real derivation,
// and open turns read by a real UpstreamTaskStore (hasOpenTurnFrom) in a temp gateway.db; no gateway is attached (the endpoint side is in the integration tests).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { DERIVED_IDENTITY_CAP, EVICTION_SCAN_LIMIT, PrincipalIdentities } from '../../../src/daemon/principal-identities.js';
import { HostedAgents } from '../../../src/daemon/hosted-agents.js';
import { principalIdentityName } from '../../../src/gateway/principal-identity.js';
import { UpstreamTaskStore } from '../../../src/gateway/toq-upstream-task-store.js';
import { capturedLog } from '../../helpers/captured-log.js';

const AGENT = 'bob';
const CONFIG = `[agents.${AGENT}]\ntoq = "toq://127.0.0.1:9/carol"\n`;

/** The derived name of principal `p` of bob (pure: needs no secret). */
const nameOf = (p: string): string => principalIdentityName(AGENT, p);

describe('PrincipalIdentities: at most `cap` derived identities hosted at once', () => {
  let dir: string;
  let db: Database.Database;
  let tasks: UpstreamTaskStore;
  let hosted: HostedAgents;
  let logged: Array<Record<string, unknown>>;
  let lookups: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'toq-principal-cap-'));
    db = new Database(join(dir, 'gateway.db'));
    db.pragma('journal_mode = WAL');
    tasks = new UpstreamTaskStore(db);
    hosted = new HostedAgents(loadConfig(CONFIG), dir);
    logged = [];
    lookups = 0;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The messages logged at warn (pino level 40), in order. */
  const warnings = (): string[] => logged.filter((l) => l['level'] === 40).map((l) => String(l['msg']));

  function registry(cap: number): PrincipalIdentities {
    const hasOpenTurn = (name: string): boolean => {
      lookups++;
      return tasks.hasOpenTurnFrom(name);
    };
    return new PrincipalIdentities({ configDir: dir, localAgentName: 'gw', cap }, { hosted, log: capturedLog(logged, 'warn'), hasOpenTurn });
  }

  /** A turn sent by principal `p`'s identity, waiting for a reply (as the toq-upstream bridge opens it). */
  const openTurn = (p: string): void =>
    tasks.openTurn({ agent: AGENT, owner: p, taskId: `task-${p}`, contextId: `ctx-${p}`, threadId: `thread-${p}`, envelopeId: `env-${p}`, sender: nameOf(p) }, 1);
  const closeTurn = (p: string): void => tasks.closeTurn({ agent: AGENT, owner: p, taskId: `task-${p}` }, 2);
  const hostedNames = (identities: PrincipalIdentities): string[] => identities.agents().map((a) => a.name);

  it('defaults to DERIVED_IDENTITY_CAP and refuses a cap below 1', () => {
    expect(DERIVED_IDENTITY_CAP).toBe(10_000);
    expect(() => registry(0)).toThrow(RangeError);
    expect(() => registry(1.5)).toThrow(RangeError);
  });

  it('evicts the least recently used idle identity: unrouted and no longer listed; the same principal gets the same identity back', () => {
    const identities = registry(2);
    expect(identities.register(AGENT, 'alice')).toBe(nameOf('alice'));
    identities.register(AGENT, 'zoe');
    expect(identities.register(AGENT, 'max')).toBe(nameOf('max'));
    expect(identities.size).toBe(2);
    expect(hostedNames(identities)).toEqual([nameOf('zoe'), nameOf('max')]);
    // No longer routed to bob: what is addressed to it finds no receiver.
    expect(hosted.hostOf(nameOf('alice'))).toBe(nameOf('alice'));
    expect(hosted.hostOf(nameOf('zoe'))).toBe(AGENT);

    // alice calls again: derived and hosted again under the same name; zoe is now the oldest.
    expect(identities.register(AGENT, 'alice')).toBe(nameOf('alice'));
    expect(hosted.hostOf(nameOf('alice'))).toBe(AGENT);
    expect(hostedNames(identities)).toEqual([nameOf('max'), nameOf('alice')]);
    expect(warnings()).toEqual([]);
  });

  it('a call (a repeated register) makes an identity the most recently used', () => {
    const identities = registry(2);
    identities.register(AGENT, 'alice');
    identities.register(AGENT, 'zoe');
    identities.register(AGENT, 'alice');
    identities.register(AGENT, 'max');
    expect(hostedNames(identities)).toEqual([nameOf('alice'), nameOf('max')]);
  });

  it('never evicts an identity with an open turn; once its turn is closed it can go', () => {
    const identities = registry(2);
    identities.register(AGENT, 'alice');
    openTurn('alice');
    identities.register(AGENT, 'zoe');
    identities.register(AGENT, 'max');
    // alice, the oldest, waits for a reply: zoe went instead.
    expect(hostedNames(identities).sort()).toEqual([nameOf('alice'), nameOf('max')].sort());
    expect(hosted.hostOf(nameOf('alice'))).toBe(AGENT);
    identities.register(AGENT, 'ann');
    expect(hostedNames(identities).sort()).toEqual([nameOf('alice'), nameOf('ann')].sort());

    closeTurn('alice');
    identities.register(AGENT, 'ben');
    expect(hostedNames(identities).sort()).toEqual([nameOf('ann'), nameOf('ben')].sort());
    expect(hosted.hostOf(nameOf('alice'))).toBe(nameOf('alice'));
    expect(warnings()).toEqual([]);
  });

  it('when every identity waits for a reply the cap gives way, with one warning per crossing', () => {
    const identities = registry(2);
    for (const p of ['alice', 'zoe']) {
      identities.register(AGENT, p);
      openTurn(p);
    }
    identities.register(AGENT, 'max');
    expect(identities.size).toBe(3);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/over the cap/);
    // max has no open turn: the next registration evicts it, and stays over the cap without a new warning.
    identities.register(AGENT, 'ann');
    expect(identities.size).toBe(3);
    expect(hostedNames(identities)).not.toContain(nameOf('max'));
    expect(warnings()).toHaveLength(1);

    // The turns end: the next registration gets back under the cap ...
    closeTurn('alice');
    closeTurn('zoe');
    identities.register(AGENT, 'ben');
    expect(hostedNames(identities)).toEqual([nameOf('ann'), nameOf('ben')]);
    // ... and crossing again warns again.
    openTurn('ann');
    openTurn('ben');
    identities.register(AGENT, 'cid');
    expect(identities.size).toBe(3);
    expect(warnings()).toHaveLength(2);
  });

  it(`looks at no more than EVICTION_SCAN_LIMIT (${EVICTION_SCAN_LIMIT}) identities per registration`, () => {
    const identities = registry(2);
    const waiting = Array.from({ length: EVICTION_SCAN_LIMIT + 20 }, (_, i) => `p${i}`);
    for (const p of waiting) {
      identities.register(AGENT, p);
      openTurn(p);
    }
    lookups = 0;
    identities.register(AGENT, 'one-more');
    expect(lookups).toBe(EVICTION_SCAN_LIMIT);
    expect(identities.size).toBe(waiting.length + 1);
  });

  it('recover keeps every open turn\'s identity, over the cap too, with a warning', () => {
    const identities = registry(2);
    const senders = ['alice', 'zoe', 'max'].map((p) => ({ agent: AGENT, owner: p, sender: nameOf(p) }));
    identities.recover(senders);
    expect(hostedNames(identities)).toEqual(senders.map((s) => s.sender));
    expect(warnings().filter((w) => /over the cap/.test(w))).toHaveLength(1);
  });
});

describe('UpstreamTaskStore.hasOpenTurnFrom: the open-turn question the eviction asks the task store', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers from the partial index of open turns, on a table from before the sender column too', () => {
    dir = mkdtempSync(join(tmpdir(), 'toq-open-turns-'));
    const path = join(dir, 'gateway.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // A table written before `sender` existed (its rows were sent by the hosted agent).
    db.exec('CREATE TABLE a2a_toq_upstream_tasks (agent TEXT NOT NULL, owner TEXT NOT NULL, task_id TEXT NOT NULL, context_id TEXT NOT NULL, thread_id TEXT NOT NULL, envelope_id TEXT NOT NULL, is_open INTEGER NOT NULL, chunks INTEGER NOT NULL DEFAULT 0, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, PRIMARY KEY (agent, owner, task_id))');
    db.exec("INSERT INTO a2a_toq_upstream_tasks VALUES ('bob', 'old', 't0', 'c0', 'th0', 'e0', 1, 0, 1, 1)");
    const tasks = new UpstreamTaskStore(db);
    try {
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT 1 AS one FROM a2a_toq_upstream_tasks WHERE sender = ? AND is_open = 1 LIMIT 1').all('x') as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' ')).toContain('a2a_toq_upstream_tasks_open_sender');

      const name = nameOf('alice');
      expect(tasks.hasOpenTurnFrom(name)).toBe(false);
      tasks.openTurn({ agent: AGENT, owner: 'alice', taskId: 't1', contextId: 'c1', threadId: 'th1', envelopeId: 'e1', sender: name }, 1);
      expect(tasks.hasOpenTurnFrom(name)).toBe(true);
      tasks.closeTurn({ agent: AGENT, owner: 'alice', taskId: 't1' }, 2);
      expect(tasks.hasOpenTurnFrom(name)).toBe(false);
    } finally {
      db.close();
    }
  });
});
