/**
 * Counts of the cost model against the accuracy model's layout. The engine (native/core/crossbar.cc
 * programArrays) walks arrays a = 0..arrays-1 as (polarity, slice, column tile, row tile) and
 * converts tileCols = min(cols, n - n0) ADC inputs per array and read (width = 2 * slices * n per
 * row tile); the enumeration below repeats that walk independently of lib/hardware/counts.ts.
 */
import { CrossbarLayer } from '../../lib/crossbar';
import { type HardwareConfig, layerCounts, readoutOf, resolveHardware } from '../../lib/hardware';
import { planLayers } from '../../lib/plan';
import type { CrossbarConfig } from '../../lib/crossbar/config';

function engineWalk(k: number, n: number, c: { rows: number; cols: number; weightBits: number; bitsPerCell: number }, physicalCols: number) {
  const rowTiles = Math.ceil(k / c.rows), colTiles = Math.ceil(n / c.cols);
  const slices = Math.max(1, Math.ceil((c.weightBits - 1) / c.bitsPerCell));
  const arrays = rowTiles * colTiles * slices * 2;
  let adcInputs = 0, drivenCells = 0, usedCells = 0;
  for (let a = 0; a < arrays; a++) {
    const ct = Math.floor(a / 2 / slices) % colTiles, t = Math.floor(a / 2 / slices / colTiles);
    const tileRows = Math.min(c.rows, k - t * c.rows), tileCols = Math.min(c.cols, n - ct * c.cols);
    adcInputs += tileCols;
    drivenCells += tileRows * physicalCols;
    usedCells += tileRows * tileCols;
  }
  return { arrays, adcInputs, drivenCells, usedCells, width: 2 * slices * n };
}

describe('counts equal the accuracy model\'s layout on random layers and sizes', () => {
  test('600+ random layer/size/bit combinations: arrays, reads, conversions, driven and used cells', () => {
    let seed = 12345;
    const rnd = (n: number) => 1 + ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const hw = resolveHardware();
    for (let i = 0; i < 640; i++) {
      const weightBits = 1 + rnd(15);
      const inputBits = rnd(16);
      const config = {
        rows: [16, 32, 64, 128, 256, 48, 100][rnd(7) - 1],
        cols: [16, 32, 64, 128, 256, 24][rnd(6) - 1],
        weightBits,
        bitsPerCell: Math.min(rnd(4), weightBits - 1),
        inputBits,
        dacBits: Math.min(rnd(4), inputBits),
      };
      const layer = { name: 'l', k: rnd(1200), n: rnd(600), outputPixels: rnd(50), groups: rnd(3), signedInput: rnd(2) === 2 };
      const plan = planLayers([layer], { mapping: { default: config } });
      const counts = layerCounts(plan.layers[0], hw);
      const walk = engineWalk(layer.k, layer.n, config, config.cols + 1); // the default reference-column readout's extra column
      const passes = layer.signedInput ? 2 : 1;
      const steps = layer.outputPixels * passes * Math.ceil(inputBits / config.dacBits);
      expect(counts.arrays).toBe(layer.groups * walk.arrays);
      expect(counts.readSteps).toBe(steps);
      expect(counts.crossbarReads).toBe(steps * layer.groups * walk.arrays);
      // ADC conversions: the used columns of every array, i.e. the engine's width per row tile.
      expect(counts.adcConversions).toBe(steps * layer.groups * walk.adcInputs);
      expect(walk.adcInputs).toBe(Math.ceil(layer.k / config.rows) * walk.width);
      expect(counts.drivenCells).toBe(layer.groups * walk.drivenCells);
      expect(counts.usedCells).toBe(layer.groups * walk.usedCells);
    }
  });

  test('the engine programs the arrays counted here (CrossbarLayer.state) for random small layers', async () => {
    let seed = 99;
    const rnd = (n: number) => 1 + ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const hw = resolveHardware();
    for (let i = 0; i < 24; i++) {
      const k = rnd(300), n = rnd(120);
      const config = { rows: [16, 32, 64, 128][rnd(4) - 1], cols: [16, 32, 64][rnd(3) - 1], weightBits: 2 + rnd(7), bitsPerCell: 1 };
      const weights = new Float32Array(k * n).map((_, j) => Math.sin(j * 0.7 + i));
      const programmed = await CrossbarLayer.program({ weights, k, n, config });
      try {
        const counts = layerCounts(planLayers([{ name: 'l', k, n, outputPixels: 1 }], { mapping: { default: config } }).layers[0], hw);
        expect(counts.arrays).toBe(programmed.state().arrays);
        expect(counts.readSteps).toBe(programmed.geometry.cycles);
      } finally {
        programmed.dispose();
      }
    }
  });
});

describe('readout schemes (hand-computed; the readout field comes from the layer config when it has one)', () => {
  // K = 100, N = 40 on 64x64, 5-bit weights (2 slices of 2 bits), 2-bit inputs on a 1-bit DAC, 3 MVMs, unsigned.
  const layer = { name: 'l', k: 100, n: 40, outputPixels: 3 };
  const config = { rows: 64, cols: 64, weightBits: 5, bitsPerCell: 2, inputBits: 2, dacBits: 1 };
  const withReadout = (readout: string | undefined, hw: HardwareConfig = resolveHardware({ template: 'isaac' })) => {
    const plan = planLayers([layer], { mapping: { default: config } });
    const l = plan.layers[0];
    const cfg = (readout === undefined ? l.config : { ...l.config, readout }) as CrossbarConfig;
    return layerCounts({ ...l, config: cfg }, hw);
  };

  test("'digital-offset': 2 row tiles x 1 col tile x 2 slices x 2 polarities = 8 arrays; 40 used columns converted each", () => {
    const c = withReadout('digital-offset');
    expect(c.readout).toBe('digital-offset');
    expect(c.arrays).toBe(8);
    expect(c.readSteps).toBe(3 * 2);
    expect(c.adcConversions).toBe(6 * 8 * 40); // 1920: all 8 arrays, used columns only
    expect(c.subtractions).toBe(0);
    expect(c.physicalCols).toBe(64);
    expect(c.drivenCells).toBe(100 * 1 * 2 * 2 * 64); // k rows over the 4 (slice, polarity) arrays per row tile, 64 physical columns
    expect(c.components.adcs).toBe(8); // isaac: one per array
    expect(c.components.subtractors).toBe(0);
  });

  test("'reference-column' (default): one more physical gOff column per array and a subtractor per converted column, no extra conversion", () => {
    const c = withReadout(undefined);
    expect(c.readout).toBe('reference-column');
    expect(withReadout('reference-column')).toEqual(c);
    expect(c.arrays).toBe(8);
    expect(c.adcConversions).toBe(1920);
    expect(c.subtractions).toBe(1920);
    expect(c.physicalCols).toBe(65);
    expect(c.drivenCells).toBe(100 * 4 * 65);
    expect(c.components.subtractors).toBe(8 * 64);
    expect(c.components.adcs).toBe(8);
  });

  test("'differential': G+ and G- columns into one bipolar ADC: half the conversions and ADCs, a subtractor per pair", () => {
    const c = withReadout('differential');
    expect(c.arrays).toBe(8);
    expect(c.convertingArrays).toBe(4);
    expect(c.adcConversions).toBe(960);
    expect(c.subtractions).toBe(960);
    expect(c.components.adcs).toBe(4);
    expect(c.components.sampleHolds).toBe(4 * 64);
    expect(c.components.subtractors).toBe(4 * 64);
    expect(c.physicalCols).toBe(64);
  });

  test('an unknown readout is a NaxError naming config.readout', () => {
    const err = (() => { try { readoutOf({ readout: 'magic' } as unknown as CrossbarConfig); } catch (e) { return e as { name: string; message: string }; } })();
    expect(err?.name).toBe('NaxError');
    expect(err?.message).toMatch(/config\.readout/);
  });
});
