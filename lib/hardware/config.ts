/**
 * The hardware configuration of the cost model: every figure the model uses, as a
 * JSON-serialisable object of plain numbers and named choices (SI units in the names: watts,
 * seconds, hertz, joules; areas in mm^2; the types are in ./types.ts). A configuration starts
 * from an architecture template (./templates.ts: puma, the default, isaac, neurosim; 32 nm
 * figures from the published simulators and papers); `hardwareSource(path, template)` names the
 * source of each figure by key path. Users override any part with a partial object that is
 * merged deeply ({@link resolveHardware}); unknown keys and impossible values are rejected with a
 * NaxError naming the key path (`hardware.adc.powerWatts`).
 */
import { ErrorCodes, NaxError, describeValue, expectNumber, expectOneOf, rejectUnknownKeys } from '../errors';
import { TEMPLATE_NAMES, type TemplateName, hardwareTemplates, sharedSources, templateOwnSources } from './templates';

export { TEMPLATE_NAMES, hardwareTemplates, type TemplateName } from './templates';

export type * from './types';
import type { HardwareConfig, HardwareOverrides } from './types';

/** The default configuration: the `puma` template (NAX ran PUMAsim). */
export const defaultHardware: HardwareConfig = hardwareTemplates.puma;

/** Where each default (the puma template's figures) comes from, by key path (a prefix covers everything under it). */
export const hardwareSources: Record<string, string> = { ...sharedSources, ...templateOwnSources.puma };

/** The source of a figure of `template` (default puma): the longest key-path prefix with an entry, the template's own first. */
export function hardwareSource(path: string, template: TemplateName = 'puma'): string | undefined {
  const parts = path.replace(/^hardware\./, '').split('.');
  const own = templateOwnSources[template] ?? {};
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join('.');
    const s = own[key] ?? sharedSources[key];
    if (s !== undefined) return s;
  }
  return undefined;
}

// ---- merging and validation ----------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function expectObject(path: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v))
    throw new NaxError(ErrorCodes.config, `expected an object for ${path}, got ${describeValue(v)}`);
  return v;
}

/** Deep merge of plain objects; the override's leaves (and whole non-object values) win. */
function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(override)) return structuredClone(override);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}

const positive = { above: 0 } as const;

function checkFigures(path: string, v: unknown, known: readonly string[]): void {
  const obj = expectObject(path, v);
  rejectUnknownKeys(path, obj, known);
  for (const key of known) expectNumber(`${path}.${key}`, obj[key], positive);
}

function checkSizeTable(path: string, v: unknown, known: readonly string[]): void {
  const table = expectObject(path, v);
  if (Object.keys(table).length === 0)
    throw new NaxError(ErrorCodes.config, `expected at least one size in ${path}, got none`);
  for (const [size, figures] of Object.entries(table)) {
    if (!/^[1-9][0-9]*$/.test(size))
      throw new NaxError(ErrorCodes.config, `expected a positive integer size as key of ${path}, got ${JSON.stringify(size)}`);
    checkFigures(`${path}.${size}`, figures, known);
  }
}

function checkChoice<T extends string>(path: string, obj: Record<string, unknown>, key: string, choices: readonly T[]): T {
  return expectOneOf(`${path}.${key}`, obj[key], choices);
}

function section(root: string, hw: Record<string, unknown>, key: keyof HardwareConfig): Record<string, unknown> {
  const obj = expectObject(`${root}.${key}`, hw[key]);
  rejectUnknownKeys(`${root}.${key}`, obj, Object.keys(defaultHardware[key] as object));
  return obj;
}

/** Checks a complete configuration; throws NaxError naming the key path (under `root`). */
export function validateHardware(value: unknown, root = 'hardware'): HardwareConfig {
  const hw = expectObject(root, value);
  rejectUnknownKeys(root, hw, Object.keys(defaultHardware));
  expectOneOf(`${root}.template`, hw.template, TEMPLATE_NAMES);
  expectNumber(`${root}.clockHz`, hw.clockHz, positive);
  checkSizeTable(`${root}.crossbar`, hw.crossbar, Object.keys(defaultHardware.crossbar['64']));
  expectOneOf(`${root}.crossbarEnergy`, hw.crossbarEnergy, ['device', 'table'] as const);
  const activity = section(root, hw, 'activity');
  expectNumber(`${root}.activity.inputBitProbability`, activity.inputBitProbability, { min: 0, max: 1 });
  expectNumber(`${root}.activity.levelFraction`, activity.levelFraction, { min: 0, max: 1 });
  checkSizeTable(`${root}.registers`, hw.registers, Object.keys(defaultHardware.registers['64']));
  checkFigures(`${root}.imaRegisters`, hw.imaRegisters, Object.keys(defaultHardware.imaRegisters));

  const adc = section(root, hw, 'adc');
  expectNumber(`${root}.adc.adcsPerArray`, adc.adcsPerArray, positive);
  expectNumber(`${root}.adc.columnsPerAdc`, adc.columnsPerAdc, { integer: true, min: 0 });
  checkChoice(`${root}.adc`, adc, 'energyScaling', ['power-time', 'linear', 'survey', 'levels'] as const);
  checkChoice(`${root}.adc`, adc, 'latencyScaling', ['linear', 'constant'] as const);
  checkChoice(`${root}.adc`, adc, 'areaScaling', ['constant', 'linear'] as const);
  expectNumber(`${root}.adc.bits`, adc.bits, { integer: true, min: 1, max: 32 });
  const power = expectNumber(`${root}.adc.powerWatts`, adc.powerWatts, positive);
  const powerFloor = expectNumber(`${root}.adc.powerFloorWatts`, adc.powerFloorWatts, { min: 0 });
  if (powerFloor > power)
    throw new NaxError(ErrorCodes.outOfRange, `expected ${root}.adc.powerFloorWatts at most adc.powerWatts (${power}), got ${powerFloor}`);
  expectNumber(`${root}.adc.leakageWatts`, adc.leakageWatts, { min: 0 });
  const rate = expectNumber(`${root}.adc.sampleRateHz`, adc.sampleRateHz, positive);
  const latencyFloor = expectNumber(`${root}.adc.latencyFloorSeconds`, adc.latencyFloorSeconds, { min: 0 });
  if (latencyFloor > 1 / rate)
    throw new NaxError(ErrorCodes.outOfRange, `expected ${root}.adc.latencyFloorSeconds at most the anchor's conversion time 1/sampleRateHz (${1 / rate} s), got ${latencyFloor}`);
  expectNumber(`${root}.adc.areaMm2`, adc.areaMm2, positive);
  const floor = expectNumber(`${root}.adc.surveyFloorJoules`, adc.surveyFloorJoules, { min: 0 });
  const anchorJoules = power / rate;
  if (floor >= anchorJoules)
    throw new NaxError(
      ErrorCodes.outOfRange,
      `expected ${root}.adc.surveyFloorJoules below the anchor's energy per conversion (${anchorJoules} J), got ${floor}`,
    );

  checkFigures(`${root}.dac`, hw.dac, Object.keys(defaultHardware.dac));
  const sampleHold = section(root, hw, 'sampleHold');
  expectNumber(`${root}.sampleHold.powerWatts`, sampleHold.powerWatts, positive);
  expectNumber(`${root}.sampleHold.areaMm2`, sampleHold.areaMm2, positive);
  expectNumber(`${root}.sampleHold.latencyCycles`, sampleHold.latencyCycles, { min: 0 });
  const shiftAdd = section(root, hw, 'shiftAdd');
  expectNumber(`${root}.shiftAdd.powerWatts`, shiftAdd.powerWatts, positive);
  expectNumber(`${root}.shiftAdd.areaMm2`, shiftAdd.areaMm2, positive);
  expectNumber(`${root}.shiftAdd.latencyCycles`, shiftAdd.latencyCycles, { min: 0 });
  checkFigures(`${root}.subtractor`, hw.subtractor, Object.keys(defaultHardware.subtractor));

  const sharing = section(root, hw, 'sharing');
  checkChoice(`${root}.sharing`, sharing, 'dac', ['array', 'matrix'] as const);
  checkChoice(`${root}.sharing`, sharing, 'sampleHold', ['array', 'matrix'] as const);
  checkChoice(`${root}.sharing`, sharing, 'shiftAdd', ['adc', 'matrix', 'ima'] as const);
  checkChoice(`${root}.sharing`, sharing, 'inputRegister', ['array', 'matrix', 'ima'] as const);
  checkChoice(`${root}.sharing`, sharing, 'outputRegister', ['array', 'matrix', 'ima'] as const);
  const org = section(root, hw, 'organisation');
  expectNumber(`${root}.organisation.arraysPerIma`, org.arraysPerIma, { integer: true, min: 1 });
  expectNumber(`${root}.organisation.imasPerTile`, org.imasPerTile, { integer: true, min: 1 });
  expectNumber(`${root}.organisation.shiftAddsPerIma`, org.shiftAddsPerIma, { integer: true, min: 1 });
  const pipeline = section(root, hw, 'pipeline');
  checkChoice(`${root}.pipeline`, pipeline, 'intraLayer', ['pipelined', 'serial'] as const);
  checkChoice(`${root}.pipeline`, pipeline, 'interLayer', ['sequential', 'pipelined'] as const);
  expectNumber(`${root}.pipeline.maxReplication`, pipeline.maxReplication, { integer: true, min: 1 });

  const buffer = section(root, hw, 'buffer');
  expectNumber(`${root}.buffer.accessEnergyJoules`, buffer.accessEnergyJoules, { min: 0 });
  expectNumber(`${root}.buffer.accessBits`, buffer.accessBits, { integer: true, min: 1 });
  expectNumber(`${root}.buffer.outputBits`, buffer.outputBits, { integer: true, min: 1, max: 32 });
  expectNumber(`${root}.buffer.areaMm2`, buffer.areaMm2, { min: 0 });
  expectNumber(`${root}.buffer.powerWatts`, buffer.powerWatts, { min: 0 });
  const interconnect = section(root, hw, 'interconnect');
  for (const key of Object.keys(defaultHardware.interconnect)) expectNumber(`${root}.interconnect.${key}`, interconnect[key], { min: 0 });
  const ima = section(root, hw, 'ima');
  for (const key of Object.keys(defaultHardware.ima)) expectNumber(`${root}.ima.${key}`, ima[key], { min: 0 });
  const tile = section(root, hw, 'tile');
  for (const key of Object.keys(defaultHardware.tile)) expectNumber(`${root}.tile.${key}`, tile[key], { min: 0 });
  return hw as unknown as HardwareConfig;
}

/**
 * A template (overrides.template, default 'puma') with `overrides` merged deeply (size tables
 * merge per size, so `{ crossbar: { '512': {...} } }` adds a size), validated. Returns a fresh object.
 */
export function resolveHardware(overrides?: HardwareOverrides | unknown): HardwareConfig {
  if (overrides !== undefined) expectObject('hardware', overrides);
  const name = (overrides as { template?: unknown } | undefined)?.template ?? 'puma';
  const template = expectOneOf('hardware.template', name, TEMPLATE_NAMES);
  return validateHardware(deepMerge(hardwareTemplates[template], overrides));
}
