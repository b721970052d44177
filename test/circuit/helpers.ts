/** Shared helpers for the circuit tests: seeded random arrays and an ngspice oracle. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CircuitOptions } from '../../lib/circuit';

/** mulberry32: small seeded generator, uniform in [0, 1) (the one the graph builder uses for weights). */
export { mulberry32 as rng } from '../../lib/onnx/builder';

/** One crossbar to solve: the circuit options without the thread count. */
export type Case = Omit<CircuitOptions, 'threads'>;

/** Device resistances log-uniform in [rMin, rMax] ohms -> conductances in siemens. */
export function randomConductances(rand: () => number, count: number, rMin = 1e3, rMax = 1e6): Float64Array {
  const g = new Float64Array(count);
  for (let k = 0; k < count; k++) g[k] = 1 / (rMin * Math.pow(rMax / rMin, rand()));
  return g;
}

export function randomVoltages(rand: () => number, count: number, vMax = 0.3): Float64Array {
  const v = new Float64Array(count);
  for (let k = 0; k < count; k++) v[k] = vMax * (0.05 + 0.95 * rand());
  return v;
}

export function ngspiceAvailable(): boolean {
  const r = spawnSync('ngspice', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * SPICE netlist of the crossbar with one input vector: V_i in series with
 * rSource into a(i,0); wires; devices; rSink to a 0 V ammeter at each bit
 * line. A zero resistance is written as a 0 V source (an exact short in MNA)
 * or, with `shortsAsNodes`, by giving both ends the same node name (also
 * exact, and far fewer equations when whole lines are shorted).
 */
export function netlist(c: Case, voltages: Float64Array, options: { shortsAsNodes?: boolean; alpha?: number } = {}): string {
  const { rows: R, cols: C } = c;
  type Element = [kind: 'R' | 'V', name: string, n1: string, n2: string, value: number];
  const elements: Element[] = [];
  for (let i = 0; i < R; i++) {
    elements.push(['V', `VIN${i}`, `d${i}`, '0', voltages[i]]);
    elements.push(['R', `RS${i}`, `d${i}`, `a${i}_0`, c.rSource]);
  }
  for (let i = 0; i < R; i++)
    for (let j = 0; j < C; j++) {
      elements.push(['R', `RG${i}_${j}`, `a${i}_${j}`, `b${i}_${j}`, 1 / c.conductances[i * C + j]]);
      if (j + 1 < C) elements.push(['R', `RW${i}_${j}`, `a${i}_${j}`, `a${i}_${j + 1}`, c.rWordLine]);
      if (i + 1 < R) elements.push(['R', `RB${i}_${j}`, `b${i}_${j}`, `b${i + 1}_${j}`, c.rBitLine]);
    }
  for (let j = 0; j < C; j++) {
    elements.push(['R', `RK${j}`, `b${R - 1}_${j}`, `s${j}`, c.rSink]);
    elements.push(['V', `VSENSE${j}`, `s${j}`, '0', 0]);
  }
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  if (options.shortsAsNodes)
    for (const [kind, , n1, n2, value] of elements)
      if (kind === 'R' && value === 0) {
        const r1 = find(n1);
        const r2 = find(n2);
        if (r1 !== r2) parent.set(r1, r2);
      }
  const lines: string[] = ['* nax-native crossbar conformance'];
  let shorts = 0;
  // Nonlinear devices I = G sinh(alpha V) / alpha as behavioural current sources, with tight tolerances.
  const alpha = options.alpha;
  if (alpha !== undefined) lines.push('.options reltol=1e-12 abstol=1e-22 vntol=1e-15 itl1=500');
  for (const [kind, name, n1, n2, value] of elements) {
    if (alpha !== undefined && kind === 'R' && name.startsWith('RG')) {
      const k = (1 / value / alpha).toPrecision(17);
      lines.push(`B${name.slice(1)} ${find(n1)} ${find(n2)} I=${k}*sinh(${alpha.toPrecision(17)}*V(${find(n1)},${find(n2)}))`);
    } else if (kind === 'V') lines.push(`${name} ${find(n1)} ${find(n2)} DC ${value.toPrecision(17)}`);
    else if (value !== 0) lines.push(`${name} ${find(n1)} ${find(n2)} ${value.toPrecision(17)}`);
    else if (!options.shortsAsNodes) lines.push(`VZ${shorts++} ${n1} ${n2} DC 0`);
  }
  lines.push('.control', 'set numdgt=16', 'op');
  for (let j0 = 0; j0 < C; j0 += 8) {
    const names: string[] = [];
    for (let j = j0; j < Math.min(C, j0 + 8); j++) names.push(`i(vsense${j})`);
    lines.push(`print ${names.join(' ')}`);
  }
  lines.push('.endc', '.end', '');
  return lines.join('\n');
}

/** Runs ngspice in batch mode; returns the sense currents (amperes) per bit line. */
export function ngspiceCurrents(
  c: Case,
  voltages: Float64Array,
  options: { shortsAsNodes?: boolean; timeoutMs?: number; alpha?: number } = {},
): Float64Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-spice-'));
  try {
    const file = path.join(dir, 'crossbar.cir');
    fs.writeFileSync(file, netlist(c, voltages, options));
    const r = spawnSync('ngspice', ['-b', file], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeoutMs ?? 120000 });
    // ngspice -b exits 1 after a .control-only run ("no simulations run"), so
    // success is judged by finding every sense current in the output.
    if (r.error) throw r.error;
    const out = new Float64Array(c.cols).fill(NaN);
    const re = /^\s*i\(vsense(\d+)\)\s*=\s*([-+0-9.eE]+)\s*$/gim;
    for (const m of r.stdout.matchAll(re)) out[Number(m[1])] = Number(m[2]);
    for (let j = 0; j < c.cols; j++)
      if (!Number.isFinite(out[j])) throw new Error(`no current for bit line ${j} in ngspice output:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Largest elementwise |a - b| / |b|. */
export function maxRelError(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / Math.abs(b[k]));
  return worst;
}
