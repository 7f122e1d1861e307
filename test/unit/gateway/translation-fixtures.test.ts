// Issue #5: every case of fixtures/a2a/translation-a2a-to-toq.json (DESIGN §5.2),
// translation-toq-to-a2a.json (§5.3) and translation-bridge.json (§5.1, between two gateways),
// run through src/gateway/translate, once per A2A shape (v1.0
// ProtoJSON, and v0.3 through the SDK's compat layer); behaviour and gap cases check that the
// test or document they name still says so. The runner is test/helpers/translation-fixtures.ts.

import { describe, expect, it } from 'vitest';
import { A2A_TO_TOQ, BRIDGE, SOURCE_TRANSLATORS, TOQ_TO_A2A, translationRuns } from '../../helpers/translation-fixtures.js';

const runs = translationRuns();

describe('translation fixtures', () => {
  it('ids are unique per file and kebab-case; every case has a one-line comment', () => {
    for (const cases of [A2A_TO_TOQ.cases, TOQ_TO_A2A.cases, BRIDGE.cases]) {
      const ids = cases.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const c of cases) {
        expect(c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(c.comment).toMatch(/^[^\n]+$/);
      }
    }
  });

  it('every case with an A2A side has both shapes', () => {
    for (const c of [...A2A_TO_TOQ.cases, ...TOQ_TO_A2A.cases, ...BRIDGE.cases]) expect(c.v1 === undefined, c.id).toBe(c.v03 === undefined);
  });
});

for (const file of ['a2a-to-toq', 'toq-to-a2a', 'bridge'] as const) {
  describe(`translation-${file}.json`, () => {
    for (const run of runs.filter((r) => r.file === file)) {
      it(run.shape === 'any' ? run.id : `${run.id} (${run.shape})`, () => run.run(SOURCE_TRANSLATORS));
    }
  });
}
