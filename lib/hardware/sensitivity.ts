/**
 * How the major modelling assumptions move the EDAP ranking of crossbar sizes for one model:
 * the model is costed at every homogeneous size under the base hardware and under one change
 * at a time (the template; the ADC energy scaling; per-array instead of shared peripherals;
 * one ADC per array; serial instead of pipelined read steps; inter-layer pipelining; the
 * crossbar table instead of the devices' V^2 G t). `nax-native cost --sensitivity` prints it and
 * evolve's report.html shows it; both as a table and a plot (EDAP / best size per variant).
 */
import { ErrorCodes, NaxError } from '../errors';
import type { CrossbarMapping } from '../plan/mapping';
import { linePlotSvg } from '../report/lines';
import { costBySize } from './compare';
import { type HardwareOverrides, type TemplateName, TEMPLATE_NAMES, resolveHardware } from './config';
import type { TableRow } from './format';
import type { CostLayer, HardwareCostOptions } from './model';

export interface SensitivityVariant {
  /** The assumption varied ('template', 'ADC energy', ...). */
  assumption: string;
  /** This variant's name ('isaac', 'survey (4^b)', ...); the base is 'base (<template>)'. */
  variant: string;
  /** Overrides on top of the base hardware. */
  hardware: HardwareOverrides;
}

export interface SensitivityRow extends SensitivityVariant {
  /** EDAP (J*s*mm^2) per size, in the order of `sizes`. */
  edap: number[];
  /** EDAP / the smallest of this row. */
  relative: number[];
  /** Sizes from lowest to highest EDAP. */
  ranking: number[];
}

export interface SensitivityResult {
  sizes: number[];
  baseTemplate: TemplateName;
  rows: SensitivityRow[];
}

/** The variants tried against `base` (each changes one assumption). */
export function sensitivityVariants(base: HardwareOverrides = {}): SensitivityVariant[] {
  const hw = resolveHardware(base);
  const t = hw.template;
  const variants: SensitivityVariant[] = [{ assumption: 'base', variant: `base (${t})`, hardware: {} }];
  for (const other of TEMPLATE_NAMES) if (other !== t) variants.push({ assumption: 'template', variant: other, hardware: { template: other } });
  const scalings = [
    ['power-time', 'power-time (b^2, PUMA)'],
    ['linear', 'linear (b, earlier model)'],
    ['survey', 'survey (4^b)'],
  ] as const;
  for (const [s, name] of scalings) if (s !== hw.adc.energyScaling) variants.push({ assumption: 'ADC energy', variant: name, hardware: { adc: { energyScaling: s } } });
  variants.push({
    assumption: 'sharing',
    variant: 'every array its own DACs, S&H, shift-add, registers',
    hardware: { sharing: { dac: 'array', sampleHold: 'array', shiftAdd: 'adc', inputRegister: 'array', outputRegister: 'array' } },
  });
  if (hw.adc.adcsPerArray !== 1 || hw.adc.columnsPerAdc !== 0)
    variants.push({ assumption: 'sharing', variant: 'one ADC per array', hardware: { adc: { adcsPerArray: 1, columnsPerAdc: 0 } } });
  variants.push({
    assumption: 'pipelining',
    variant: hw.pipeline.intraLayer === 'pipelined' ? 'serial read steps' : 'pipelined read steps',
    hardware: { pipeline: { intraLayer: hw.pipeline.intraLayer === 'pipelined' ? 'serial' : 'pipelined' } },
  });
  variants.push({
    assumption: 'pipelining',
    variant: hw.pipeline.interLayer === 'pipelined' ? 'layers in sequence' : 'inter-layer pipelining (replication)',
    hardware: { pipeline: { interLayer: hw.pipeline.interLayer === 'pipelined' ? 'sequential' : 'pipelined' } },
  });
  variants.push({
    assumption: 'crossbar energy',
    variant: hw.crossbarEnergy === 'device' ? 'size table (PUMAsim xbar power)' : 'devices (V^2 G t)',
    hardware: { crossbarEnergy: hw.crossbarEnergy === 'device' ? 'table' : 'device' },
  });
  return variants;
}

function merge(base: HardwareOverrides, over: HardwareOverrides): HardwareOverrides {
  // A template change starts from that template: only the base's explicit template is replaced.
  const out: Record<string, unknown> = over.template !== undefined ? {} : structuredClone(base as Record<string, unknown>);
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = typeof v === 'object' && v !== null && typeof prev === 'object' && prev !== null ? { ...(prev as object), ...(v as object) } : v;
  }
  return out as HardwareOverrides;
}

/** Costs `layers` at every size under the base and each variant. */
export function costSensitivity(
  layers: readonly CostLayer[],
  sizes: readonly number[],
  options: { mapping?: CrossbarMapping; hardware?: HardwareOverrides; variants?: SensitivityVariant[]; weights?: HardwareCostOptions['weights'] } = {},
): SensitivityResult {
  if (sizes.length < 2) throw new NaxError(ErrorCodes.invalidArgument, `expected at least two crossbar sizes to rank for sizes, got ${sizes.length}`);
  const base = options.hardware ?? {};
  const variants = options.variants ?? sensitivityVariants(base);
  const rows = variants.map((v) => {
    const bySize = costBySize(layers, sizes, { mapping: options.mapping, hardware: merge(base, v.hardware), weights: options.weights });
    const edap = bySize.map((s) => s.cost.total.edap);
    const best = Math.min(...edap);
    const ranking = [...sizes].sort((a, b) => edap[sizes.indexOf(a)] - edap[sizes.indexOf(b)]);
    return { ...v, edap, relative: edap.map((e) => e / best), ranking };
  });
  return { sizes: [...sizes], baseTemplate: resolveHardware(base).template, rows };
}

/** One row per variant: EDAP / best at each size, the best size and the ranking. */
export function sensitivityTableRows(result: SensitivityResult): TableRow[] {
  return result.rows.map((r) => {
    const row: TableRow = { assumption: r.assumption, variant: r.variant };
    result.sizes.forEach((s, i) => (row[`${s}x${s}`] = r.relative[i].toFixed(2)));
    row.best = `${r.ranking[0]}x${r.ranking[0]}`;
    row.ranking = r.ranking.join(' < ');
    return row;
  });
}

/** The plot: EDAP / best against crossbar size, one line per variant. */
export async function sensitivitySvg(result: SensitivityResult, title = 'EDAP ranking of crossbar sizes under each assumption'): Promise<string> {
  const points = result.rows.flatMap((r) => result.sizes.map((s, i) => ({ x: s, y: r.relative[i], series: `${r.assumption}: ${r.variant}` })));
  return linePlotSvg(points, { title, xTitle: 'crossbar rows = cols', yTitle: 'EDAP / best size', logX: true, logY: true });
}
