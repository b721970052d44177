/** Human-readable tables of cost-model results (CLI and README). */
import type { SizeCost } from './compare';
import { type HardwareConfig, defaultHardware, hardwareSource, hardwareTemplates } from './config';
import { ENERGY_COMPONENTS, type NetworkCost } from './model';

/** A number in engineering notation with an SI prefix: 1.23e-6 -> "1.23 u". */
export function engineering(value: number, unit = '', digits = 3): string {
  if (value === 0) return `0 ${unit}`.trim();
  if (!Number.isFinite(value)) return `${value}`;
  const prefixes: [number, string][] = [
    [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'u'], [1e-9, 'n'], [1e-12, 'p'], [1e-15, 'f'], [1e-18, 'a'],
  ];
  const abs = Math.abs(value);
  const [scale, prefix] = prefixes.find(([s]) => abs >= s * 0.9995) ?? prefixes[prefixes.length - 1];
  return `${(value / scale).toPrecision(digits)} ${prefix}${unit}`.trim();
}

export type TableRow = Record<string, string | number>;

/** One row per layer plus a total row, for console.table or printTable. */
export function costTableRows(cost: NetworkCost): TableRow[] {
  const rows: TableRow[] = cost.layers.map((l) => ({
    layer: l.name,
    'K x N': `${l.k} x ${l.n}${l.groups > 1 ? ` x${l.groups}g` : ''}`,
    xbar: `${l.crossbar.rows}x${l.crossbar.cols}`,
    adcBits: l.crossbar.adcBits,
    arrays: l.arrays,
    util: l.utilization.toFixed(3),
    reads: l.crossbarReads,
    energy: engineering(l.energyJoules.total, 'J'),
    'adc share': `${((100 * l.energyJoules.adc) / l.energyJoules.total).toFixed(0)}%`,
    latency: engineering(l.latencySeconds, 's'),
    'area mm2': l.areaMm2.total.toPrecision(3),
    edap: l.edap.toExponential(3),
  }));
  const t = cost.total;
  rows.push({
    layer: 'total',
    'K x N': '',
    xbar: '',
    adcBits: '',
    arrays: t.arrays,
    util: t.utilization.toFixed(3),
    reads: t.crossbarReads,
    energy: engineering(t.energyJoules.total, 'J'),
    'adc share': `${((100 * t.energyJoules.adc) / t.energyJoules.total).toFixed(0)}%`,
    latency: engineering(t.latencySeconds, 's'),
    'area mm2': t.areaMm2.total.toPrecision(3),
    edap: t.edap.toExponential(3),
  });
  return rows;
}

/** The network's energy and area by component. */
export function breakdownRows(cost: NetworkCost): TableRow[] {
  const t = cost.total;
  return [...ENERGY_COMPONENTS, 'digital' as const].map((c) => {
    const area = c === 'wires' ? undefined : t.areaMm2[c];
    const energy = c === 'digital' ? undefined : t.energyJoules[c];
    return {
      component: c,
      energy: energy === undefined ? '-' : engineering(energy, 'J'),
      'energy %': energy === undefined ? '-' : ((100 * energy) / t.energyJoules.total).toFixed(1),
      'area mm2': area === undefined ? '-' : area.toPrecision(3),
      'area %': area === undefined ? '-' : ((100 * area) / t.areaMm2.total).toFixed(1),
    };
  });
}

/** One row per crossbar size. */
export function sizeTableRows(sizes: SizeCost[]): TableRow[] {
  return sizes.map((s) => {
    const t = s.cost.total;
    return {
      crossbar: `${s.size}x${s.size}`,
      adcBits: s.adcBits.join('/'),
      arrays: t.arrays,
      utilization: t.utilization.toFixed(3),
      'energy uJ': (t.energyJoules.total * 1e6).toPrecision(4),
      'latency ms': (t.latencySeconds * 1e3).toPrecision(4),
      'area mm2': t.areaMm2.total.toPrecision(4),
      'EDAP J*s*mm2': t.edap.toExponential(3),
      'EDAP / best': s.edapRelative.toFixed(2),
    };
  });
}

/** Fixed-width text table (console.table adds index columns and quotes). */
export function textTable(rows: TableRow[]): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]);
  const cells = rows.map((r) => headers.map((h) => String(r[h] ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  // Columns of numbers (with or without units) right-aligned, text left-aligned.
  const numeric = headers.map((_, i) => i > 0 && cells.every((c) => c[i] === '' || /^[-+]?[0-9]/.test(c[i])));
  const line = (values: string[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** GitHub-flavoured markdown table. */
export function markdownTable(rows: TableRow[]): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]);
  const out = [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${headers.map((h) => String(r[h] ?? '')).join(' | ')} |`);
  return out.join('\n');
}

/** Every figure of a hardware configuration with its key path and source ('user override' where it is not the default). */
export function hardwareFigureRows(hw: HardwareConfig): TableRow[] {
  const rows: TableRow[] = [];
  const walk = (value: unknown, fallback: unknown, path: string) => {
    if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value))
        walk(v, (fallback as Record<string, unknown> | undefined)?.[k], path ? `${path}.${k}` : k);
      return;
    }
    const source = value === fallback ? hardwareSource(path, hw.template) ?? '' : 'user override';
    rows.push({ figure: path, value: typeof value === 'number' ? Number(value.toPrecision(6)) : String(value), source });
  };
  walk(hw, hardwareTemplates[hw.template] ?? defaultHardware, '');
  return rows;
}
