/**
 * The fast solver against exact rational arithmetic (BigInt) on small arrays,
 * including conductance ratios far beyond what ngspice or a plain Cholesky
 * resolve (micro-ohm wires against megaohm devices) and every zero pattern.
 */
import { transferMatrix } from '../../lib/circuit';
import { exactTransferMatrix, fromDouble, toDouble } from './exact';
import { Case, maxRelError, randomConductances, rng } from './helpers';

describe('exact rational oracle', () => {
  it('round-trips doubles exactly', () => {
    for (const x of [1, 0.1, 1e-300, 123456.789, 1 / 3, 2 ** 60 + 2 ** 8, 1e300])
      expect(toDouble(fromDouble(x))).toBe(x);
  });

  it('matches a hand-solved 1x1 circuit', () => {
    // V -> rS -> G -> rK -> ground: M = 1 / (rS + 1/G + rK).
    const m = exactTransferMatrix({ rows: 1, cols: 1, conductances: new Float64Array([1e-3]), rWordLine: 3, rBitLine: 3, rSource: 100, rSink: 50 });
    expect(m[0]).toBeCloseTo(1 / 1150, 18);
  });
});

describe('fast transferMatrix vs exact', () => {
  const cases: Array<[string, Omit<Case, 'conductances'>, [number, number]]> = [
    ['typical', { rows: 3, cols: 4, rWordLine: 2.5, rBitLine: 3.5, rSource: 120, rSink: 80 }, [1e3, 1e6]],
    ['micro-ohm wires, megaohm devices', { rows: 3, cols: 3, rWordLine: 1e-6, rBitLine: 2e-6, rSource: 3e-6, rSink: 1e-6 }, [1e6, 1e6]],
    ['severe IR drop', { rows: 3, cols: 4, rWordLine: 10, rBitLine: 10, rSource: 1000, rSink: 1000 }, [1e3, 1.1e3]],
    ['rWordLine = 0', { rows: 3, cols: 4, rWordLine: 0, rBitLine: 4, rSource: 30, rSink: 70 }, [1e3, 1e6]],
    ['rBitLine = 0', { rows: 4, cols: 3, rWordLine: 4, rBitLine: 0, rSource: 30, rSink: 70 }, [1e3, 1e6]],
    ['rSource = rSink = 0', { rows: 4, cols: 4, rWordLine: 1, rBitLine: 2, rSource: 0, rSink: 0 }, [1e3, 1e6]],
    ['wires = 0', { rows: 3, cols: 6, rWordLine: 0, rBitLine: 0, rSource: 10, rSink: 20 }, [1e3, 1e6]],
  ];
  it.each(cases)('%s: fast to 1e-14 relative (banded error reported)', async (_name, base, [lo, hi]) => {
    const c: Case = { ...base, conductances: randomConductances(rng(base.rows * 31 + base.cols), base.rows * base.cols, lo, hi) };
    const exact = exactTransferMatrix(c);
    const fast = await transferMatrix(c);
    const banded = await transferMatrix({ ...c, method: 'banded' });
    const errFast = maxRelError(fast, exact);
    console.log(`${_name}: fast ${errFast.toExponential(1)}, banded ${maxRelError(banded, exact).toExponential(1)} relative to exact`);
    expect(errFast).toBeLessThan(1e-14);
  });
});
