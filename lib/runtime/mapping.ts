/**
 * Per-layer crossbar mapping: a default crossbar config plus overrides by
 * ONNX node name, so each layer can have its own crossbar size (the NAX
 * search space). Also the crossbar-engine backend of the executor and the
 * per-layer geometry table (arrays via mappingGeometry, the one definition
 * the cost model uses too).
 *
 * JSON form (`--mapping mapping.json`):
 *   { "default": { "rows": 64, "cols": 64, "parasitics": true },
 *     "layers": { "conv1": { "rows": 128, "cols": 128 } } }
 */
import * as fs from 'fs';
import { NaxError, ErrorCodes, invalid, rejectUnknownKeys } from '../errors';
import { CrossbarConfig, CrossbarConfigInput, resolveCrossbarConfig } from '../crossbar/config';
import { CrossbarLayer } from '../crossbar/layer';
import { mappingGeometry } from '../crossbar/geometry';
import { LoweredLayer } from './lower';
import type { MatmulBackend } from './backend';

export interface CrossbarMapping {
  /** Config for every layer without an override (engine defaults when omitted). */
  default?: CrossbarConfigInput;
  /** Overrides by node name, merged over `default`. */
  layers?: Record<string, CrossbarConfigInput>;
}

/** Reads a mapping JSON file. */
export function loadMapping(path: string): CrossbarMapping {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new NaxError(ErrorCodes.io, `could not read mapping file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new NaxError(ErrorCodes.config, `mapping file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateMapping(parsed, path);
}

export function validateMapping(value: unknown, source = 'mapping'): CrossbarMapping {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(source, 'an object { default?, layers? }', value, ErrorCodes.config);
  rejectUnknownKeys(source, value, ['default', 'layers']);
  const m = value as CrossbarMapping;
  if (m.layers !== undefined && (m.layers === null || typeof m.layers !== 'object' || Array.isArray(m.layers)))
    throw invalid(`${source}.layers`, 'an object keyed by node name', m.layers, ErrorCodes.config);
  return m;
}

/**
 * Resolves (and validates) each layer's config. Unknown layer names in
 * `layers` are an error listing the graph's crossbar layers (catches typos).
 */
export function resolveMapping(mapping: CrossbarMapping, layers: Iterable<LoweredLayer>): Map<string, CrossbarConfig> {
  validateMapping(mapping);
  const list = [...layers];
  const names = new Set(list.map((l) => l.name));
  for (const name of Object.keys(mapping.layers ?? {}))
    if (!names.has(name))
      throw new NaxError(ErrorCodes.config, `mapping names layer ${name}, which is not a crossbar layer of this network; layers: ${[...names].join(', ')}`);
  const out = new Map<string, CrossbarConfig>();
  for (const l of list) out.set(l.name, resolveCrossbarConfig({ ...(mapping.default ?? {}), ...(mapping.layers?.[l.name] ?? {}) }));
  return out;
}

/** FNV-1a of a layer name, so each layer (and group) draws its own non-idealities from one seed. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface CrossbarBackend extends MatmulBackend {
  /** Resolved config of each programmed layer. */
  readonly configs: Map<string, CrossbarConfig>;
  /** Frees every programmed layer. */
  dispose(): void;
}

/**
 * Executor backend on the crossbar engine (lib/crossbar CrossbarLayer): each
 * group of each lowered layer is programmed once with its mapped config and
 * the calibrated input scale (unless the mapping fixes `inputScale`).
 */
export function crossbarBackend(mapping: CrossbarMapping, options: { threads?: number } = {}): CrossbarBackend {
  validateMapping(mapping);
  const configs = new Map<string, CrossbarConfig>();
  const programmed: CrossbarLayer[] = [];
  return {
    name: 'crossbar',
    configs,
    async program(layer, group, weights, inputScale) {
      const override = mapping.layers?.[layer.name] ?? {};
      const merged: CrossbarConfigInput = { ...(mapping.default ?? {}), ...override };
      const base = resolveCrossbarConfig(merged);
      const config: CrossbarConfigInput = {
        ...merged,
        seed: (base.seed + nameHash(`${layer.name}#${group}`)) % 2 ** 32,
        threads: merged.threads ?? options.threads ?? 0,
      };
      if (merged.inputScale === undefined && inputScale > 0) config.inputScale = inputScale;
      configs.set(layer.name, resolveCrossbarConfig(config));
      const xb = await CrossbarLayer.program({ weights, k: layer.k, n: layer.n, config });
      programmed.push(xb);
      return { run: (rows, count) => xb.run(rows, count) };
    },
    dispose() {
      for (const l of programmed) l.dispose();
      programmed.length = 0;
    },
  };
}

/** One row of the per-layer table (eval, reports). */
export interface LayerMappingRow {
  name: string;
  opType: string;
  /** K x N of one group's matrix. */
  k: number;
  n: number;
  groups: number;
  rows: number;
  cols: number;
  /** groups * mappingGeometry(...).arrays. */
  arrays: number;
  /** Fraction of the arrays' cells holding weights. */
  utilization: number;
  /** MVMs per inference (all groups). */
  mvmsPerImage: number;
}

export function layerMappingTable(layers: Iterable<LoweredLayer>, mapping: CrossbarMapping): LayerMappingRow[] {
  const list = [...layers];
  const configs = resolveMapping(mapping, list);
  return list.map((l) => {
    const c = configs.get(l.name)!;
    const g = mappingGeometry({ k: l.k, n: l.n, rows: c.rows, cols: c.cols, weightBits: c.weightBits, bitsPerCell: c.bitsPerCell, inputBits: c.inputBits, dacBits: c.dacBits });
    return {
      name: l.name,
      opType: l.opType,
      k: l.k,
      n: l.n,
      groups: l.groups,
      rows: c.rows,
      cols: c.cols,
      arrays: g.arrays * l.groups,
      utilization: g.utilization,
      mvmsPerImage: l.outputPixels * l.groups,
    };
  });
}
