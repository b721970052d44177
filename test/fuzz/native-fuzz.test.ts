/**
 * Seeded fuzzing of every native entry (test/fuzz/native-child.ts) in child processes: random
 * sizes, lengths, types, NaN/Inf, zero and negative values. Zero crashes (signals), zero hangs,
 * every failure a NaxError with a stable code. CI runs a bounded number of cases; a longer run:
 * scripts/fuzz.sh --native --cases 100000.
 */
import * as path from 'path';
import { ErrorCodes } from '../../lib/errors';
import { describeFailures, runFuzz } from './driver';

jest.setTimeout(300_000);

test('native entries: 1500 seeded cases, no crash, no hang, only NaxErrors', async () => {
  const results = await runFuzz(path.join(__dirname, 'native-child.ts'), 20261202, 1500, { timeoutMs: 10_000, batch: 750 });
  expect(results.length).toBe(1500);
  expect(describeFailures(results)).toEqual([]);
  const codes = new Set(Object.values(ErrorCodes));
  for (const r of results) if (r.outcome === 'nax') expect(codes).toContain(r.code);
  // The cases reach past argument checking: a good share run to the end.
  expect(results.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(150);
});
