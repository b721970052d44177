/**
 * Per-layer crossbar mapping: what a user (or the search) says about the hardware of each layer.
 * A default crossbar config plus overrides by ONNX node name, so each layer can have its own
 * crossbar size (the NAX search space). A mapping is only ever read by `resolvePlan`
 * (./plan.ts), which turns it into one fully resolved config per layer; nothing downstream looks
 * at a mapping again.
 *
 * JSON form (`--mapping mapping.json`):
 *   { "default": { "rows": 64, "cols": 64, "parasitics": true },
 *     "layers": { "conv1": { "rows": 128, "cols": 128 } } }
 */
import { NaxError, ErrorCodes, invalid, rejectUnknownKeys } from '../errors';
import { readJsonFile } from '../json-file';
import type { CrossbarConfigInput } from '../crossbar/config';

export interface CrossbarMapping {
  /** Config for every layer without an override (engine defaults when omitted). */
  default?: CrossbarConfigInput;
  /** Overrides by node name, merged over `default`. */
  layers?: Record<string, CrossbarConfigInput>;
}

/** Reads and shape-checks a mapping JSON file (the settings themselves are checked when a plan is resolved). */
export function loadMapping(path: string): CrossbarMapping {
  return validateMapping(readJsonFile(path, 'mapping file'), path);
}

/** Checks the outer shape of a mapping: `{ default?: {...}, layers?: { <node>: {...} } }`. */
export function validateMapping(value: unknown, source = 'mapping'): CrossbarMapping {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(source, 'an object { default?, layers? }', value, ErrorCodes.config);
  rejectUnknownKeys(source, value, ['default', 'layers']);
  const m = value as CrossbarMapping;
  if (m.default !== undefined && (m.default === null || typeof m.default !== 'object' || Array.isArray(m.default)))
    throw invalid(`${source}.default`, 'an object of crossbar settings', m.default, ErrorCodes.config);
  if (m.layers !== undefined && (m.layers === null || typeof m.layers !== 'object' || Array.isArray(m.layers)))
    throw invalid(`${source}.layers`, 'an object keyed by node name', m.layers, ErrorCodes.config);
  for (const [name, own] of Object.entries(m.layers ?? {}))
    if (own === null || typeof own !== 'object' || Array.isArray(own))
      throw new NaxError(ErrorCodes.config, `expected an object for ${source}.layers.${name}, got ${JSON.stringify(own)}`);
  return m;
}

/** The mapping with every layer on size x size arrays (rows/cols of the per-layer overrides dropped). */
export function withCrossbarSize(base: CrossbarMapping, size: number): CrossbarMapping {
  const layers: Record<string, CrossbarConfigInput> = {};
  for (const [name, o] of Object.entries(base.layers ?? {})) {
    const { rows: _r, cols: _c, ...rest } = o;
    layers[name] = rest;
  }
  return { default: { ...base.default, rows: size, cols: size }, layers };
}
