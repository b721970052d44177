/** Bad input: every case is a NaxError with a stable code, from the TS checks and from the native second line. */
import { solveCircuit, transferMatrix } from '../../lib/circuit';
import { loadAddon } from '../../lib/native';

const good = () => ({
  rows: 3,
  cols: 2,
  conductances: new Float64Array([1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4]),
  rWordLine: 1,
  rBitLine: 1,
  rSource: 10,
  rSink: 10,
});

async function expectNaxError(p: () => Promise<unknown>, code: string, mentions?: string): Promise<void> {
  let caught: unknown;
  try {
    await p();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeDefined();
  const e = caught as { name?: string; code?: string; message?: string };
  expect(e.name).toBe('NaxError');
  expect(e.code).toBe(code);
  if (mentions) expect(e.message).toContain(mentions);
}

const INVALID = 'ERR_NAX_INVALID_ARGUMENT';
const RANGE = 'ERR_NAX_OUT_OF_RANGE';
const SIZE = 'ERR_NAX_SIZE_MISMATCH';
const CONFIG = 'ERR_NAX_CONFIG';

const cases: Array<[string, Record<string, unknown>, string, string]> = [
  ['rows 0', { rows: 0 }, RANGE, 'rows'],
  ['rows above 4096', { rows: 5000 }, RANGE, 'rows'],
  ['cols not an integer', { cols: 2.5 }, INVALID, 'cols'],
  ['rows as a string', { rows: '3' }, INVALID, 'rows'],
  ['cols missing', { cols: undefined }, INVALID, 'cols'],
  ['negative rWordLine', { rWordLine: -1 }, RANGE, 'rWordLine'],
  ['NaN rBitLine', { rBitLine: NaN }, INVALID, 'rBitLine'],
  ['infinite rSource', { rSource: Infinity }, INVALID, 'rSource'],
  ['rSink as a string', { rSink: '10' }, INVALID, 'rSink'],
  ['conductances as a plain array', { conductances: [1, 2, 3, 4, 5, 6] }, INVALID, 'conductances'],
  ['conductances as Float32Array', { conductances: new Float32Array(6).fill(1e-4) }, INVALID, 'conductances'],
  ['conductances of the wrong length', { conductances: new Float64Array(5).fill(1e-4) }, SIZE, 'conductances'],
  ['a NaN conductance', { conductances: new Float64Array([1e-4, NaN, 1e-4, 1e-4, 1e-4, 1e-4]) }, INVALID, 'conductances[1]'],
  ['an infinite conductance', { conductances: new Float64Array([1e-4, 1e-4, Infinity, 1e-4, 1e-4, 1e-4]) }, INVALID, 'conductances[2]'],
  ['a zero conductance', { conductances: new Float64Array([1e-4, 1e-4, 1e-4, 0, 1e-4, 1e-4]) }, RANGE, 'conductances[3]'],
  ['a negative conductance', { conductances: new Float64Array([1e-4, 1e-4, 1e-4, 1e-4, -1e-4, 1e-4]) }, RANGE, 'conductances[4]'],
  ['threads negative', { threads: -1 }, RANGE, 'threads'],
  ['an unknown option', { rWordline: 1 }, CONFIG, 'rWordline'],
];

describe('circuit bad input (TypeScript checks)', () => {
  it.each(cases)('transferMatrix: %s', async (_name, patch, code, mentions) => {
    await expectNaxError(() => transferMatrix({ ...good(), ...patch } as never), code, mentions);
  });
  it.each(cases)('solveCircuit: %s', async (_name, patch, code, mentions) => {
    await expectNaxError(() => solveCircuit({ ...good(), voltages: new Float64Array(3), ...patch } as never), code, mentions);
  });
  it('rejects a non-object', async () => {
    await expectNaxError(() => transferMatrix(null as never), INVALID, 'options');
    await expectNaxError(() => solveCircuit(42 as never), INVALID, 'options');
  });
  it('rejects an unknown method', async () => {
    await expectNaxError(() => transferMatrix({ ...good(), method: 'lu' as never }), INVALID, 'method');
  });
  it('rejects voltages of the wrong type, length or value', async () => {
    await expectNaxError(() => solveCircuit({ ...good(), voltages: [0.1, 0.2, 0.3] as never }), INVALID, 'voltages');
    await expectNaxError(() => solveCircuit({ ...good(), voltages: new Float64Array(4) }), SIZE, 'voltages');
    await expectNaxError(() => solveCircuit({ ...good(), voltages: new Float64Array([0.1, NaN, 0.2]) }), INVALID, 'voltages[1]');
  });
});

describe('circuit bad input (native checks, bypassing TypeScript)', () => {
  const addon = loadAddon();
  const nativeCases: Array<[string, Record<string, unknown>, string, string]> = [
    ['rows 0', { rows: 0 }, RANGE, 'rows'],
    ['cols above 4096', { cols: 4097 }, RANGE, 'cols'],
    ['rows not a number', { rows: 'x' }, INVALID, 'rows'],
    ['negative rSink', { rSink: -5 }, RANGE, 'rSink'],
    ['NaN rWordLine', { rWordLine: NaN }, INVALID, 'rWordLine'],
    ['conductances of the wrong type', { conductances: new Float32Array(6) }, INVALID, 'conductances'],
    ['conductances of the wrong length', { conductances: new Float64Array(7).fill(1e-4) }, SIZE, 'conductances'],
    ['a NaN conductance', { conductances: new Float64Array([1e-4, 1e-4, 1e-4, 1e-4, 1e-4, NaN]) }, INVALID, 'conductances[5]'],
    ['a zero conductance', { conductances: new Float64Array(6) }, RANGE, 'conductances[0]'],
    ['threads out of range', { threads: -2 }, RANGE, 'threads'],
  ];
  it.each(nativeCases)('circuitTransferMatrix: %s', async (_name, patch, code, mentions) => {
    await expectNaxError(async () => addon.circuitTransferMatrix({ ...good(), ...patch } as never), code, mentions);
  });
  it.each(nativeCases)('circuitSolve: %s', async (_name, patch, code, mentions) => {
    await expectNaxError(async () => addon.circuitSolve({ ...good(), voltages: new Float64Array(3), ...patch } as never), code, mentions);
  });
  it('rejects a bad method, a non-object, and bad voltages', async () => {
    await expectNaxError(async () => addon.circuitTransferMatrix({ ...good(), method: 'x' as never }), INVALID, 'method');
    await expectNaxError(async () => addon.circuitTransferMatrix(undefined as never), INVALID, 'options');
    await expectNaxError(async () => addon.circuitSolve({ ...good(), voltages: new Float64Array(5) }), SIZE, 'voltages');
    await expectNaxError(async () => addon.circuitSolve({ ...good(), voltages: new Float64Array([0, Infinity, 0]) }), INVALID, 'voltages[1]');
    await expectNaxError(async () => addon.circuitSolve({ ...good(), voltages: 'v' as never }), INVALID, 'voltages');
  });
});
