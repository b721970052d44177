/**
 * A published network total: DNN+NeuroSim V1.3's VGG-8 on CIFAR-10 (the V1.3 manual's Fig. 24;
 * lib/hardware/published.ts has the figures and the run's settings), costed by this model under
 * the `neurosim` template with the run's crossbar settings.
 *
 * Matched inputs: the network (operations per image exact), 128x128 subarrays, 2-bit cells,
 * 8-bit weights (4 magnitude slices) and 8-bit inputs one bit per cycle, 5-bit MLSA per 8
 * columns (1.7 uW per level, 1 ns per column), Ron/Roff 100 kOhm / 10 MOhm, 0.5 V read, the 22 nm
 * 1T1R cell (4F x 12F), the run's clock, layer-by-layer operation.
 * Not matched: signed weights (ours G+ and G- arrays, 8 cells per weight; NeuroSim 4 cells and a
 * dummy column), NeuroSim's weight duplication (speed-up) and novel conv mapping, its
 * decoders, switch matrices, muxes, adder trees, register-file buffers and H-tree (circuit
 * models; ours keeps PUMA's 32 nm DACs, S&H, shift-adds, registers, eDRAM and bus), and
 * buffer traffic in the timing.
 * Each bound below is the tolerance this reproduction claims; the measured ratio is in the
 * README (Hardware cost model, "NeuroSim VGG-8").
 */
import { NEUROSIM_CELL_AREA_MM2, NEUROSIM_VGG8_FIG24 as fig, neurosimVgg8Comparison, vgg8CifarLayers } from '../../lib/hardware';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const { cost, operations, rows } = neurosimVgg8Comparison();
const ratio = (quantity: string) => {
  const r = rows.find((x) => x.quantity.startsWith(quantity));
  if (!r) throw new Error(`no row ${quantity}`);
  return r.ratio;
};

test('the transcribed figure is self-consistent: FPS = 1 / latency, TOPS = operations x FPS, TOPS/mm^2 = TOPS / chip area, TOPS/W from dynamic + leakage + interconnect energy', () => {
  expect(rel(fig.performance.fps, 1 / fig.latency.totalSeconds)).toBeLessThan(1e-4);
  expect(rel(fig.performance.topsPerMm2, fig.performance.tops / fig.area.chipMm2)).toBeLessThan(1e-4);
  expect(rel(fig.energy.dynamicJoules, fig.energy.adcJoules + fig.energy.accumulationJoules + fig.energy.otherJoules)).toBeLessThan(1e-5);
  expect(rel(fig.area.chipMm2, fig.area.arrayMm2 + fig.area.interconnectMm2 + fig.area.adcMm2 + fig.area.accumulationMm2 + fig.area.otherMm2)).toBeLessThan(1e-4);
  const joulesPerImage = (fig.performance.tops * 1e12) / fig.performance.fps / (fig.performance.topsPerWatt * 1e12);
  expect(rel(joulesPerImage, fig.energy.dynamicJoules + fig.energy.leakageJoules + fig.energy.interconnectJoules)).toBeLessThan(1e-3);
});

test('the network: VGG-8 has exactly the operations per image the figure reports (TOPS / FPS)', () => {
  expect(operations).toBe(2 * 615_917_568);
  expect(rel(operations, (fig.performance.tops * 1e12) / fig.performance.fps)).toBeLessThan(2e-5);
  expect(vgg8CifarLayers().map((l) => [l.k, l.n])).toEqual([[27, 128], [1152, 128], [1152, 256], [2304, 256], [2304, 512], [4608, 512], [8192, 1024], [1024, 10]]);
});

test("the cell area: NeuroSim's 4F x 12F 1T1R cell at 22 nm over its 67,633,152 cells gives its published array area within 2.5%", () => {
  // 14 novel-mapped tiles of 9 x 512 x 512 cells (conv layers: 1+1+2+2+4+4) and 33 conventional tiles of 1024 x 1024 (fc: 32 + 1).
  const tiles = fig.tilesPerLayer;
  const cells = tiles.slice(0, 6).reduce((a, t) => a + t, 0) * 9 * 512 * 512 + (tiles[6] + tiles[7]) * 1024 * 1024;
  expect(cells).toBe(67_633_152);
  expect(rel(cells * NEUROSIM_CELL_AREA_MM2, fig.area.arrayMm2)).toBeLessThan(0.025);
  // Ours: the same cell, 6400 arrays of 128 x 128 (8 cells per weight: G+ and G- arrays of 4 slices).
  expect(cost.total.arrays).toBe(6400);
  expect(rel(cost.total.areaMm2.crossbar, 6400 * 128 * 128 * NEUROSIM_CELL_AREA_MM2)).toBeLessThan(1e-12);
  // The array-area ratio is the cell-count ratio: ours 104.9M cells, NeuroSim's 67.6M (4 per weight plus duplicates).
  expect(ratio('array area')).toBeGreaterThan(1.5);
  expect(ratio('array area')).toBeLessThan(1.65);
  // One MLSA per 8 columns on both sides: the ADC area ratio is the array-count ratio 6400 / 4128.
  expect(rel(ratio('ADC area'), 6400 / 4128)).toBeLessThan(1e-9);
});

test('energy per 5-bit conversion (devices + MLSA): ours within 10% of the figure over its conversion count', () => {
  const e = cost.total.energyJoules;
  const oursPerConversion = (e.crossbar + e.wires + e.adc) / cost.total.adcConversions;
  // NeuroSim's conversions: each output pixel, input bit, row tile and weight column (4 per
  // weight, no G- array); its novel mapping puts each of a conv's 9 kernel positions on its own
  // subarrays (9 row tiles per 128 input channels, layer 1 included).
  const layers = vgg8CifarLayers();
  let conversions = 0;
  for (const [i, l] of layers.entries()) {
    const rowTiles = i < 6 ? 9 * Math.ceil(l.k / 9 / 128) : Math.ceil(l.k / 128);
    conversions += l.outputPixels * 8 * rowTiles * 4 * l.n;
  }
  expect(conversions).toBe(190_843_392);
  const publishedPerConversion = fig.energy.adcJoules / conversions;
  expect(rel(oursPerConversion, publishedPerConversion)).toBeLessThan(0.1);
});

test('network totals against the figure, within the tolerance each one is claimed to', () => {
  // Energy per image: ours 1.67x (twice the conversions and array cells of NeuroSim's G+ only
  // arrays, PUMA's shift-and-add), within 2x.
  expect(ratio('energy per image')).toBeGreaterThan(1);
  expect(ratio('energy per image')).toBeLessThan(2);
  // The ADC + array part: within 2x; the per-conversion check above is within 10%.
  expect(ratio('ADC + array energy')).toBeGreaterThan(1);
  expect(ratio('ADC + array energy')).toBeLessThan(2);
  // Chip area within 15% (ours lacks decoders, switch matrices and muxes but doubles the arrays and MLSAs).
  expect(Math.abs(ratio('chip area') - 1)).toBeLessThan(0.15);
  // TOPS/W within 30% (the figure's own divides by 47.9 uJ, not its 38.9 uJ per image).
  expect(Math.abs(ratio('TOPS/W') - 1)).toBeLessThan(0.3);
  // Not reproduced, bounds that document the gap: accumulation (PUMA's 32 nm shift-and-add is
  // about 6x NeuroSim's 22 nm adders), other peripherals (NeuroSim's decoders, switch matrices
  // and H-tree are 4x ours), latency (NeuroSim's 1.0 ms of buffer traffic is not timed here).
  expect(ratio('accumulation energy')).toBeGreaterThan(4);
  expect(ratio('accumulation energy')).toBeLessThan(8);
  expect(ratio('other energy')).toBeGreaterThan(0.15);
  expect(ratio('other energy')).toBeLessThan(0.4);
  expect(ratio('latency')).toBeGreaterThan(0.08);
  expect(ratio('latency')).toBeLessThan(0.16);
  // Without the buffer time the figure leaves 456 us: ours within 3x of it.
  expect(cost.total.latencySeconds / (fig.latency.totalSeconds - fig.latency.bufferSeconds)).toBeGreaterThan(1 / 3);
});
