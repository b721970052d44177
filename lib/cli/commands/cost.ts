import type { CommandModule } from 'yargs';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCodes, NaxError, describeValue, expectOneOf } from '../../errors';
import { readJsonFile } from '../../json-file';
import { readOnnxFile } from '../../onnx/reader';
import { foldBatchNorm, lowerFolded } from '../../runtime/lower';
import { loadMapping, planGraph } from '../../plan';
import { parseIntegerList, readJsonObject, sharedOptions } from '../flags';
import {
  type CostLayer,
  type CostMapping,
  type HardwareConfig,
  type HardwareOverrides,
  type NetworkCost,
  type SizeCost,
  type SensitivityResult,
  TEMPLATE_NAMES,
  costSensitivity,
  sensitivitySvg,
  sensitivityTableRows,
  breakdownRows,
  hardwareFigureRows,
  builtinNetworks,
  costBySize,
  costTableRows,
  hardwareCost,
  resolveHardware,
  markdownTable,
  sizeTableRows,
  textTable,
} from '../../hardware';

export interface CostArgs {
  /** An ONNX file, a built-in network name (resnet20, ...) or a JSON file of crossbar layers. */
  model?: string;
  /** Print the hardware figures with their sources instead of costing a model. */
  figures?: boolean;
  /** rows = cols of every layer's crossbar (overrides the mapping's default). */
  xbar?: number;
  /** Compare these homogeneous crossbar sizes instead of one mapping. */
  sizes?: string;
  mapping?: string;
  hardware?: string;
  adcScaling?: 'power-time' | 'linear' | 'survey' | 'levels';
  /** Architecture template: puma (default), isaac, neurosim. */
  template?: string;
  /** How each modelling assumption moves the EDAP ranking of the sizes (--sizes, default 16,32,64,128). */
  sensitivity?: boolean;
  /** With --sensitivity: write the plot (SVG) here. */
  plot?: string;
  adcsPerArray?: number;
  json?: boolean;
  markdown?: boolean;
  /** ONNX models: the model's input is never negative ([0, 1] pixels), so its first layers need no negative pass. */
  nonNegativeInput?: boolean;
  /** ONNX models: device energy from the model's own weights (programmed levels) instead of the stated default. */
  levelsFromWeights?: boolean;
}

export type CostResult =
  | { kind: 'network'; cost: NetworkCost; inputSigns: string }
  | { kind: 'sizes'; sizes: SizeCost[]; inputSigns: string }
  | { kind: 'figures'; hardware: HardwareConfig }
  | { kind: 'sensitivity'; sensitivity: SensitivityResult; inputSigns: string };

/** The crossbar layers of a model, and how their input signs (a second, negative input pass) were decided. */
export interface CostModelLayers {
  layers: CostLayer[];
  /** One line for the output: where each layer's `signedInput` came from. */
  inputSigns: string;
  /** ONNX models: each layer's weights (BatchNorm folded), for the device energy of the programmed levels. */
  weights?: Record<string, Float32Array>;
}

/**
 * The crossbar layers of `model`: an ONNX file (lowered as the executor lowers it: BatchNorm
 * folded, Conv/Gemm/MatMul as K x N; signed inputs inferred from the graph, the graph input
 * assumed signed unless `nonNegativeInput`), a built-in network, or a JSON list (`[...]` or
 * `{ layers: [...] }`, signs as each layer's `signedInput` says).
 */
export function loadCostLayers(model: string, options: { nonNegativeInput?: boolean } = {}): CostModelLayers {
  const given = 'input signs as listed (a layer with signedInput: true pays a second, negative input pass)';
  if (builtinNetworks[model] && !fs.existsSync(model)) return { layers: builtinNetworks[model](), inputSigns: given };
  const ext = path.extname(model).toLowerCase();
  if (ext === '.onnx') {
    const graphInputSigned = !options.nonNegativeInput;
    const graph = readOnnxFile(model);
    const plan = planGraph(graph, { graphInputSigned });
    const weights = Object.fromEntries(lowerFolded(foldBatchNorm(graph)).map((l) => [l.name, l.weights]));
    const signed = plan.layers.filter((l) => l.signedInput).map((l) => l.name);
    return {
      layers: plan.layers.map((l) => ({ name: l.name, opType: l.opType, k: l.k, n: l.n, outputPixels: l.outputPixels, groups: l.groups, signedInput: l.signedInput })),
      weights,
      inputSigns:
        `input signs inferred from the graph: the model input assumed ${graphInputSigned ? 'signed (normalised data; --non-negative-input for [0, 1] pixels)' : 'non-negative (--non-negative-input)'}, ` +
        `layers after ReLU-like ops unsigned; two passes: ${signed.length ? signed.join(', ') : 'none'}`,
    };
  }
  if (ext !== '.json')
    throw new NaxError(
      ErrorCodes.invalidArgument,
      `expected an .onnx model, a built-in network (${Object.keys(builtinNetworks).join(', ')}) or a .json layer list for model, got ${JSON.stringify(model)}`,
    );
  const value = readJsonFile(model, 'layer list');
  const layers = Array.isArray(value) ? value : (value as { layers?: unknown })?.layers;
  if (!Array.isArray(layers))
    throw new NaxError(ErrorCodes.invalidArgument, `expected an array of layers (or { "layers": [...] }) in ${model}, got ${describeValue(value)}`);
  return { layers: layers as CostLayer[], inputSigns: given };
}

/** Runs the cost model for the CLI's arguments (exported for tests). */
export function costHandler(args: CostArgs): CostResult {
  const mapping: CostMapping = args.mapping ? loadMapping(args.mapping) : {};
  const hardware = args.hardware ? readJsonObject<HardwareOverrides & { adc?: Record<string, unknown> }>(args.hardware, '--hardware') : {};
  if (args.adcScaling !== undefined || args.adcsPerArray !== undefined)
    hardware.adc = {
      ...hardware.adc,
      ...(args.adcScaling !== undefined ? { energyScaling: args.adcScaling } : {}),
      ...(args.adcsPerArray !== undefined ? { adcsPerArray: args.adcsPerArray } : {}),
    };
  if (args.template !== undefined) hardware.template = expectOneOf('--template', args.template, TEMPLATE_NAMES);
  if (args.figures) return { kind: 'figures', hardware: resolveHardware(hardware) };
  if (args.model === undefined)
    throw new NaxError(ErrorCodes.invalidArgument, 'expected a model (an .onnx file, a built-in network or a .json layer list), got none');
  const sizes = parseIntegerList('--sizes', args.sizes, { what: 'positive integers', allows: (size) => size >= 1 });
  const loaded = loadCostLayers(args.model, { nonNegativeInput: args.nonNegativeInput });
  const { layers, inputSigns } = loaded;
  if (args.levelsFromWeights && !loaded.weights)
    throw new NaxError(ErrorCodes.invalidArgument, `expected an .onnx model for --levels-from-weights (a layer list has no weights), got ${JSON.stringify(args.model)}`);
  const weights = args.levelsFromWeights ? loaded.weights : undefined;
  if (args.sensitivity)
    return { kind: 'sensitivity', sensitivity: costSensitivity(layers, sizes ?? [16, 32, 64, 128], { mapping, hardware, weights }), inputSigns };
  if (args.plot !== undefined) throw new NaxError(ErrorCodes.invalidArgument, 'expected --plot together with --sensitivity, got --plot alone');
  if (sizes !== undefined) return { kind: 'sizes', sizes: costBySize(layers, sizes, { mapping, hardware, weights }), inputSigns };
  if (args.xbar !== undefined) mapping.default = { ...mapping.default, rows: args.xbar, cols: args.xbar };
  return { kind: 'network', cost: hardwareCost({ model: layers, mapping, hardware, weights }), inputSigns };
}

/** The text the command prints. */
export function formatCostResult(result: CostResult, options: { json?: boolean; markdown?: boolean } = {}): string {
  if (result.kind === 'figures') {
    if (options.json) return JSON.stringify(result.hardware, null, 2);
    return (options.markdown ? markdownTable : textTable)(hardwareFigureRows(result.hardware));
  }
  if (options.json && result.kind !== 'sensitivity') {
    if (result.kind === 'network') return JSON.stringify(result.cost, null, 2);
    return JSON.stringify(
      result.sizes.map((s) => ({ size: s.size, adcBits: s.adcBits, edapRelative: s.edapRelative, total: s.cost.total })),
      null,
      2,
    );
  }
  const table = options.markdown ? markdownTable : textTable;
  if (result.kind === 'sensitivity') {
    if (options.json) return JSON.stringify(result.sensitivity, null, 2);
    return `${table(sensitivityTableRows(result.sensitivity))}\n\nEDAP / best size per row; base template ${result.sensitivity.baseTemplate}, one assumption changed per row.\n${result.inputSigns}`;
  }
  if (result.kind === 'sizes') return `${table(sizeTableRows(result.sizes))}\n\n${result.inputSigns}`;
  return `${table(costTableRows(result.cost))}\n\n${table(breakdownRows(result.cost))}\n\n${result.inputSigns}`;
}

export const costCommand: CommandModule<object, CostArgs> = {
  command: 'cost [model]',
  describe: 'Energy, latency, area and EDAP of a network on crossbars (per layer and total)',
  builder: (y) =>
    y
      .positional('model', {
        type: 'string',
        describe: `an ONNX model, a built-in network (${Object.keys(builtinNetworks).join(', ')}) or a JSON layer list [{ name, k, n, outputPixels }]`,
      })
      .option('figures', { type: 'boolean', describe: 'print the hardware figures (defaults + --hardware) with their sources' })
      .option('xbar', { type: 'number', describe: 'crossbar rows = cols for every layer (overrides the mapping default)' })
      .option('sizes', { type: 'string', describe: 'compare homogeneous crossbar sizes, e.g. 16,32,64,128,256' })
      .option('mapping', { type: 'string', describe: 'mapping JSON: { "default": {...}, "layers": { "<node>": {...} } }' })
      .option('hardware', { type: 'string', describe: 'hardware config JSON (overrides the defaults, merged deeply)' })
      .option('template', { choices: ['puma', 'isaac', 'neurosim'], describe: 'architecture template (default puma); --hardware overrides its figures' })
      .option('adc-scaling', {
        choices: ['power-time', 'linear', 'survey', 'levels'] as const,
        describe: 'ADC energy vs bits: power-time (PUMA: power and time linear in bits, energy ~ b^2), linear (energy ~ b), survey (4x/bit), levels (NeuroSim MLSA: ~ 2^b - 1)',
      })
      .option('sensitivity', { type: 'boolean', describe: 'how each modelling assumption moves the EDAP ranking of --sizes (default 16,32,64,128)' })
      .option('plot', { type: 'string', describe: 'with --sensitivity: write the plot (SVG) to this file' })
      .option('adcs-per-array', { type: 'number', describe: 'ADCs shared by the columns of one array' })
      .option('non-negative-input', {
        type: 'boolean',
        describe: 'ONNX models: the input is never negative ([0, 1] pixels), so the first layers need no negative input pass',
      })
      .option('levels-from-weights', {
        type: 'boolean',
        describe: "ONNX models: crossbar read energy from the model's own programmed levels (default: the template's stated level fraction, as eval and evolve use)",
      })
      .option('json', sharedOptions.json)
      .option('markdown', { type: 'boolean', describe: 'print markdown tables' }) as never,
  // async: errors reject parseAsync, and the CLI entry prints them as one line.
  handler: async (args) => {
    const result = costHandler(args);
    console.log(formatCostResult(result, args));
    if (result.kind === 'sensitivity' && args.plot) {
      fs.writeFileSync(args.plot, await sensitivitySvg(result.sensitivity));
      if (!args.json) console.log(`plot: ${args.plot}`);
    }
  },
};
