/**
 * The component inventory of one fully used IMA (PUMA: core) and one tile of a template, with
 * peak power (every unit active: dynamic + leakage) and area per component: the form of ISAAC's
 * Table I and of PUMAsim's ima_metrics / tile_metrics, so the published tables can be reproduced
 * from the same counts (lib/hardware/counts.ts) and figures the cost model uses
 * (test/hardware/published.test.ts).
 */
import { planLayers } from '../plan/plan';
import type { HardwareConfig, HardwareOverrides } from './config';
import { resolveHardware } from './config';
import { layerCounts } from './counts';
import { adcAreaMm2, adcLeakageWatts, adcPowerWatts, crossbarFigures, dacPowerWatts, registerFigures } from './model';

export interface InventoryItem {
  count: number;
  powerWatts: number;
  areaMm2: number;
}

export type ImaComponent = 'crossbar' | 'adc' | 'dac' | 'sampleHold' | 'shiftAdd' | 'inputRegister' | 'outputRegister' | 'digital';
export type TileComponent = 'imas' | 'buffer' | 'bus' | 'router' | 'other';

export interface Inventory {
  ima: Record<ImaComponent, InventoryItem> & { total: InventoryItem };
  tile: Record<TileComponent, InventoryItem> & { total: InventoryItem };
}

function sum(items: InventoryItem[]): InventoryItem {
  return items.reduce((a, b) => ({ count: a.count + b.count, powerWatts: a.powerWatts + b.powerWatts, areaMm2: a.areaMm2 + b.areaMm2 }), { count: 0, powerWatts: 0, areaMm2: 0 });
}

/**
 * One IMA filled with `size` x `size` arrays of 2-bit cells holding 9-bit weights (4 slices x
 * G+/G- = 8 arrays per logical matrix, as PUMA's phy2log_ratio = 8 and ISAAC's 8 arrays per IMA),
 * 1-bit DACs and `adcBits` ADCs, and one tile of imasPerTile such IMAs.
 */
export function templateInventory(hardware: HardwareOverrides | HardwareConfig = {}, options: { size?: number; adcBits?: number } = {}): Inventory {
  const hw = resolveHardware(hardware);
  const size = options.size ?? 128;
  const adcBits = options.adcBits ?? 8;
  const matrices = Math.max(1, Math.floor(hw.organisation.arraysPerIma / 8));
  const plan = planLayers([{ name: 'ima', k: size, n: size * matrices, outputPixels: 1 }], {
    mapping: { default: { rows: size, cols: size, weightBits: 9, bitsPerCell: 2, dacBits: 1, adcBits } },
  });
  const counts = layerCounts(plan.layers[0], hw);
  const c = counts.components;
  const xbar = crossbarFigures(hw, size, size);
  const regs = registerFigures(hw, size, size);
  const inIma = hw.sharing.inputRegister === 'ima', outIma = hw.sharing.outputRegister === 'ima';
  const item = (count: number, powerWatts: number, areaMm2: number): InventoryItem => ({ count, powerWatts: count * powerWatts, areaMm2: count * areaMm2 });
  const ima = {
    crossbar: item(counts.arrays, xbar.readPowerWatts, xbar.areaMm2),
    adc: item(c.adcs, adcPowerWatts(hw, adcBits) + adcLeakageWatts(hw, adcBits), adcAreaMm2(hw, adcBits)),
    dac: item(c.dacs, dacPowerWatts(hw, 1), hw.dac.areaMm2),
    sampleHold: item(c.sampleHolds, hw.sampleHold.powerWatts, hw.sampleHold.areaMm2),
    shiftAdd: item(c.shiftAdds, hw.shiftAdd.powerWatts, hw.shiftAdd.areaMm2),
    inputRegister: item(c.inputRegisters, inIma ? hw.imaRegisters.inputReadPowerWatts : regs.inputReadPowerWatts, inIma ? hw.imaRegisters.inputAreaMm2 : regs.inputAreaMm2),
    outputRegister: item(c.outputRegisters, outIma ? hw.imaRegisters.outputPowerWatts : regs.outputPowerWatts, outIma ? hw.imaRegisters.outputAreaMm2 : regs.outputAreaMm2),
    digital: item(1, hw.ima.otherPowerWatts, hw.ima.otherAreaMm2),
  };
  const imaTotal = sum(Object.values(ima));
  const perTile = hw.organisation.imasPerTile;
  const tile = {
    imas: { count: perTile, powerWatts: perTile * imaTotal.powerWatts, areaMm2: perTile * imaTotal.areaMm2 },
    buffer: item(1, hw.buffer.powerWatts, hw.buffer.areaMm2),
    bus: item(1, hw.interconnect.powerWatts, hw.interconnect.areaMm2),
    router: item(1, hw.interconnect.routerPowerWatts, hw.interconnect.routerAreaMm2),
    other: item(1, hw.tile.otherPowerWatts, hw.tile.otherAreaMm2),
  };
  return { ima: { ...ima, total: imaTotal }, tile: { ...tile, total: sum(Object.values(tile)) } };
}
