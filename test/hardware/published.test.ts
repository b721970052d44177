/**
 * The templates reproduce the published per-component tables of their own configurations:
 * ISAAC's Table I (Shafiee et al., ISCA 2016; the paper's figures, 32 nm) and PUMAsim's
 * ima_metrics / tile_metrics terms for its include/config.py (Aayush-Ankit/puma-simulator;
 * 128x128 2-bit arrays, 8 per logical matrix, 2 matrices and 4 ADCs per core, 8 cores per tile).
 * Tolerance 5% (the papers round their entries to 2-3 digits).
 */
import { templateInventory } from '../../lib/hardware';

const within = (actual: number, published: number, tol = 0.05) => {
  const rel = Math.abs(actual - published) / published;
  if (rel > tol) throw new Error(`expected ${published} within ${tol * 100}%, got ${actual} (${(rel * 100).toFixed(2)}% off)`);
};

describe('ISAAC Table I (the isaac template)', () => {
  const inv = templateInventory({ template: 'isaac' });
  // Per IMA: [count, power mW, area mm^2] as printed in Table I.
  const table: [keyof typeof inv.ima, number, number, number][] = [
    ['adc', 8, 16, 0.0096],
    ['dac', 8 * 128, 4, 0.00017],
    ['sampleHold', 8 * 128, 0.01, 0.00004],
    ['crossbar', 8, 2.4, 0.0002],
    ['shiftAdd', 4, 0.2, 0.00024],
    ['inputRegister', 1, 1.24, 0.0021],
    ['outputRegister', 1, 0.23, 0.00077],
  ];
  test.each(table)('IMA %s: %d units, %f mW, %f mm^2', (component, count, mW, mm2) => {
    const item = inv.ima[component];
    expect(item.count).toBe(count);
    within(item.powerWatts * 1e3, mW);
    within(item.areaMm2, mm2);
  });

  test('12 IMAs 289 mW / 0.157 mm^2 (PUMAsim ima_metrics quotes the same), tile 330 mW / 0.372 mm^2, ADCs 58% of power and 31% of area', () => {
    within(inv.ima.total.powerWatts * 12 * 1e3, 289);
    within(inv.ima.total.areaMm2 * 12, 0.157);
    expect(inv.tile.imas.count).toBe(12);
    within(inv.tile.buffer.powerWatts * 1e3, 20.7);
    within(inv.tile.buffer.areaMm2, 0.083);
    within(inv.tile.bus.powerWatts * 1e3, 7);
    within(inv.tile.bus.areaMm2, 0.09);
    within(inv.tile.router.powerWatts * 1e3, 42 / 4);
    within(inv.tile.router.areaMm2, 0.151 / 4);
    within(inv.tile.total.powerWatts * 1e3, 330);
    within(inv.tile.total.areaMm2, 0.372);
    const adcShare = (12 * inv.ima.adc.powerWatts) / inv.tile.total.powerWatts;
    const adcArea = (12 * inv.ima.adc.areaMm2) / inv.tile.total.areaMm2;
    expect(Math.abs(adcShare - 0.58)).toBeLessThan(0.01);
    expect(Math.abs(adcArea - 0.31)).toBeLessThan(0.01);
  });
});

describe('PUMAsim (the puma template): ima_metrics.compute_area / compute_pow_dyn terms of the inference arrays', () => {
  const inv = templateInventory({ template: 'puma' });
  // PUMAsim's terms, with the forward (inference) share of each training multiplicity:
  // (num_matrix*11)*xbar_size DACs -> num_matrix*xbar_size, (num_matrix*2)*xbar_size S&H -> num_matrix*xbar_size,
  // (num_matrix*2) S+A -> num_matrix, (num_matrix*3) in/out registers -> num_matrix, (num_matrix*4)*phy2log xbars -> num_matrix*phy2log;
  // num_adc = num_adc_per_matrix * num_matrix = 4 as configured.
  const numMatrix = 2, size = 128, phy2log = 8;
  const table: [keyof typeof inv.ima, number, number, number][] = [
    ['dac', numMatrix * size, 0.00350625 + 0.000390625, 1.67e-7], // dac_pow_dyn + dac_pow_leak, dac_area
    ['sampleHold', numMatrix * size, 9.7e-6, 0.00004 / 8 / 128], // snh_pow_dyn + snh_pow_leak = 9.7e-6 mW
    ['shiftAdd', numMatrix, 0.05, 0.00006], // sna
    ['adc', 4, 1.8 + 0.2, 0.0012], // adc_pow_dyn_dict['8'] + adc_pow_leak_dict['8'], adc_area
    ['outputRegister', numMatrix, 0.16, 0.00078], // xbar_outMem_pow_dyn_dict['128'], xbar_outMem_area_dict['128']
    ['inputRegister', numMatrix, 1.7, 0.00078], // xbar_inMem_pow_dyn_read_dict['128'] (peak read), xbar_inMem_area_dict['128']
    ['crossbar', numMatrix * phy2log, 0.3, 2.5e-5], // xbar_pow_dict['2']['128'], xbar_area_dict['2']['128']
  ];
  test.each(table)('core %s: %d units', (component, count, mWEach, mm2Each) => {
    const item = inv.ima[component];
    expect(item.count).toBe(count);
    within(item.powerWatts * 1e3, count * mWEach);
    within(item.areaMm2, count * mm2Each);
  });

  test('core digital units and the tile (8 cores, 64 KB eDRAM, bus, a quarter router)', () => {
    // instrnMem_area * sqrt(8) + dataMem_area['2048'] + alu_area + act_area + ccu_area.
    within(inv.ima.digital.areaMm2, 0.00108 * Math.sqrt(8) + 0.00392 + 0.00567 * 32 / 45 + 0.0003 + 0.00145 * 2.25);
    expect(inv.tile.imas.count).toBe(8);
    within(inv.tile.buffer.areaMm2, 0.086);
    within(inv.tile.bus.areaMm2, 0.09);
    within(inv.tile.router.areaMm2, 0.047 / 4);
    // Core area, summed from PUMAsim's terms above (inference arrays): 0.0286 mm^2; tile 8 cores + eDRAM + bus + router.
    const core = 256 * 1.67e-7 + 256 * (0.00004 / 1024) + 2 * 0.00006 + 4 * 0.0012 + 2 * 0.00078 + 16 * 2.5e-5 + 2 * 0.00078 +
      0.00108 * Math.sqrt(8) + 0.00392 + 0.00567 * 32 / 45 + 0.0003 + 0.00145 * 2.25;
    within(inv.ima.total.areaMm2, core, 0.001);
    within(inv.tile.total.areaMm2, 8 * core + 0.086 + 0.09 + 0.047 / 4, 0.001);
  });
});
