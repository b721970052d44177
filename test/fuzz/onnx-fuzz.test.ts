/**
 * Seeded fuzzing of the ONNX reader, lowering, the cost model and the executor in ideal and
 * crossbar modes (test/fuzz/onnx-cases.ts): real models mutated by bit flips, truncation, byte
 * overwrites and protobuf edits, each case in a child process with a 10 s limit. Zero crashes,
 * zero hangs, every failure a NaxError with a stable code, and NaN inputs propagate to the outputs
 * as in onnxruntime. A longer run: scripts/fuzz.sh --cases 20000 --seed N.
 */
import * as path from 'path';
import { ErrorCodes } from '../../lib/errors';
import { describeFailures, runFuzz } from './driver';

jest.setTimeout(600_000);

test('ONNX models: 800 seeded mutations, no crash, no hang, only NaxErrors', async () => {
  const results = await runFuzz(path.join(__dirname, 'onnx-child.ts'), 20261202, 800, { timeoutMs: 10_000, batch: 400 });
  expect(results.length).toBe(800);
  expect(describeFailures(results)).toEqual([]);
  const codes = new Set(Object.values(ErrorCodes));
  for (const r of results) if (r.outcome === 'nax') expect(codes).toContain(r.code);
  // ERR_NAX_INTERNAL would mean a check is missing somewhere: bad models get a user-facing code.
  expect(results.filter((r) => r.code === ErrorCodes.internal).map((r) => `${r.i} ${r.kind} ${r.message}`)).toEqual([]);
  // Some mutants still run end to end (the harness reaches the executor, not only the parser).
  expect(results.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(80);
});
