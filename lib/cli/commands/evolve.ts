/**
 * `nax-native evolve`: the co-design search (lib/codesign/evolve.ts) with a progress bar and an ETA
 * for the whole run; Ctrl-C (SIGINT) aborts the work in flight; every finished candidate (and
 * supernet epoch) is already checkpointed, so `--resume` continues the run.
 */
import type { CommandModule } from 'yargs';
import { DEVICE_PRESET_NAMES, type CrossbarConfigInput, type DevicePresetName } from '../../crossbar';
import { NaxError, ErrorCodes, invalid } from '../../errors';
import { resolveHardware, type HardwareOverrides } from '../../hardware';
import { evolve, type EvolveOptions, type EvolveProgress } from '../../codesign/evolve';
import { EVOLVE_DATASETS } from '../../codesign/evolve-options';
import { type EvolveResults, describeAccuracyComparison, formatTestAccuracy } from '../../codesign/results';
import type { DatasetName } from '../../data';
import { choicesRule, createProgressBar, parseChips, parseIntegerList, parseKernelSizes, parseQueueFlags, parseThreads, queueOptionsDefinition, readJsonObject, sharedOptions, type QueueFlags } from '../flags';

export interface EvolveArgs extends QueueFlags {
  dataset?: string;
  dataPath?: string;
  kernels?: string | number;
  xbars?: string | number;
  /** Same as --xbars: crossbar rows (the columns too unless --cols is given). */
  rows?: string | number;
  cols?: string | number;
  adcBitsGene?: string | number;
  screen?: string | number;
  screenKeep?: number;
  population?: number;
  generations?: number;
  seed?: number;
  out?: string;
  device?: string;
  hardware?: string;
  variation?: number;
  deviceModel?: string;
  deviceTime?: number;
  readNoise?: number;
  wireOhms?: number;
  adcBits?: string | number;
  adcScaling?: string;
  quick?: boolean;
  resume?: boolean;
  lambda?: number;
  epochs?: number;
  trainImages?: number;
  validationImages?: number;
  testImages?: number;
  chips?: number;
  width?: number;
  threads?: number;
  json?: boolean;
  progress?: boolean;
}

/** Turns CLI flags into evolve() options (validating every flag, naming it in errors). */
export function evolveOptionsFromArgs(args: EvolveArgs): EvolveOptions {
  if (args.dataset !== undefined && !(EVOLVE_DATASETS as readonly string[]).includes(args.dataset))
    throw new NaxError(ErrorCodes.invalidArgument, `expected one of ${EVOLVE_DATASETS.join(', ')} for --dataset, got ${JSON.stringify(args.dataset)}`);
  const threads = parseThreads(args.threads);
  const queue = parseQueueFlags(args);
  const chips = args.chips === undefined ? undefined : parseChips(args.chips, 1);
  const hardwareOverrides = args.hardware !== undefined ? readJsonObject<HardwareOverrides>(args.hardware, '--hardware') : undefined;
  let hardware: HardwareOverrides | undefined = hardwareOverrides;
  if (args.adcScaling !== undefined) {
    if (args.adcScaling !== 'power-time' && args.adcScaling !== 'linear' && args.adcScaling !== 'survey')
      throw new NaxError(ErrorCodes.invalidArgument, `expected one of power-time, linear, survey for --adc-scaling, got ${JSON.stringify(args.adcScaling)}`);
    hardware = { ...(hardware ?? {}), adc: { ...(hardware?.adc ?? {}), energyScaling: args.adcScaling } };
  }
  // Crossbar sizes with cost figures in the hardware table (256 included by default).
  const allowedXbars = Object.keys(resolveHardware(hardware).crossbar).map(Number).sort((a, b) => a - b);
  if (args.rows !== undefined && args.xbars !== undefined && String(args.rows) !== String(args.xbars) && String(args.xbars) !== '16,32,64,128')
    throw new NaxError(ErrorCodes.config, `expected --rows or --xbars, got both (${args.rows} and ${args.xbars}); --rows is --xbars under another name`);
  const crossbars = args.rows !== undefined ? parseIntegerList('--rows', args.rows, choicesRule(allowedXbars)) : parseIntegerList('--xbars', args.xbars, choicesRule(allowedXbars));
  // Non-square arrays are costed from the nearest listed size (lib/hardware crossbarFigures), so any column count in range is allowed.
  const cols = parseIntegerList('--cols', args.cols, { what: 'integers in [2, 1024]', allows: (v) => v >= 2 && v <= 1024, distinct: true });
  let adcBitsGene: Array<number | 'lossless'> | undefined;
  if (args.adcBitsGene !== undefined) {
    const text = String(args.adcBitsGene);
    adcBitsGene = text.split(',').map((part) => {
      const entry = part.trim();
      if (entry === 'lossless') return 'lossless' as const;
      if (!/^\d+$/.test(entry) || Number(entry) < 2 || Number(entry) > 24)
        throw new NaxError(ErrorCodes.invalidArgument, `expected a comma-separated list of ADC bits in [2, 24] or "lossless" for --adc-bits-gene, got ${JSON.stringify(entry)} in ${JSON.stringify(text)}`);
      return Number(entry);
    });
  }
  let screening: EvolveOptions['screening'];
  if (args.screen !== undefined) {
    const text = String(args.screen);
    const fidelities = text.split(',').map((part) => {
      const f = Number(part.trim());
      if (part.trim() === '' || !(f > 0 && f < 1))
        throw new NaxError(ErrorCodes.invalidArgument, `expected a comma-separated list of ascending fractions in (0, 1) for --screen (e.g. 0.125,0.5), got ${JSON.stringify(text)}`);
      return f;
    });
    screening = { fidelities, ...(args.screenKeep !== undefined ? { keep: args.screenKeep } : {}) };
  } else if (args.screenKeep !== undefined) throw new NaxError(ErrorCodes.config, 'expected --screen with --screen-keep, got none (the keep fraction applies to the screen\'s rungs)');
  const kernels = parseKernelSizes('--kernels', args.kernels, { distinct: true });

  const device: CrossbarConfigInput = args.device !== undefined ? { ...readJsonObject<CrossbarConfigInput>(args.device, '--device') } : {};
  const nonNegative = (flag: string, v: number | undefined) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw invalid(flag, 'a number >= 0', v);
    return v;
  };
  const variation = nonNegative('--variation', args.variation);
  if (variation !== undefined) device.variation = variation > 0 ? { sigma: variation, distribution: 'lognormal' } : false;
  if (args.deviceModel !== undefined) {
    if (!(DEVICE_PRESET_NAMES as readonly string[]).includes(args.deviceModel))
      throw invalid('--device-model', `one of ${DEVICE_PRESET_NAMES.join(', ')}`, args.deviceModel);
    if (variation !== undefined) throw new NaxError(ErrorCodes.config, 'expected --variation or --device-model, got both (the device model brings its own programming error)');
    device.device = { preset: args.deviceModel as DevicePresetName };
  }
  const deviceTime = nonNegative('--device-time', args.deviceTime);
  if (deviceTime !== undefined) {
    if (args.deviceModel === undefined) throw new NaxError(ErrorCodes.config, 'expected --device-model with --device-time, got none (only a device model drifts)');
    device.device = { preset: args.deviceModel as DevicePresetName, time: deviceTime };
  }
  const readNoise = nonNegative('--read-noise', args.readNoise);
  if (readNoise !== undefined) device.readNoise = readNoise;
  const wire = nonNegative('--wire-ohms', args.wireOhms);
  if (wire !== undefined) device.parasitics = wire > 0 ? { rWordLine: wire, rBitLine: wire, rSource: 0, rSink: 0 } : false;
  if (args.adcBits !== undefined) {
    if (args.adcBits === 'lossless' || args.adcBits === 'nax') device.adcBits = args.adcBits;
    else {
      const bits = Number(args.adcBits);
      if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw invalid('--adc-bits', 'an integer in [1, 24], "lossless" or "nax"', args.adcBits);
      device.adcBits = bits;
    }
  }
  const positiveInt = (flag: string, v: number | undefined, min = 1) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw invalid(flag, `an integer >= ${min}`, v);
    return v;
  };
  return {
    dataset: args.dataset as DatasetName | undefined,
    dataPath: args.dataPath,
    kernels,
    crossbars,
    ...(cols ? { cols } : {}),
    ...(adcBitsGene ? { adcBitsGene } : {}),
    ...(screening ? { screening } : {}),
    population: positiveInt('--population', args.population, 2),
    generations: positiveInt('--generations', args.generations, 0),
    seed: positiveInt('--seed', args.seed, 0),
    outDir: args.out,
    device: Object.keys(device).length ? device : undefined,
    hardware,
    lambda: args.lambda,
    quick: args.quick,
    resume: args.resume,
    network: args.width !== undefined ? { width: positiveInt('--width', args.width) } : undefined,
    supernet: args.epochs !== undefined || args.trainImages !== undefined ? { epochs: positiveInt('--epochs', args.epochs), images: positiveInt('--train-images', args.trainImages, 2) } : undefined,
    evaluation:
      args.validationImages !== undefined || args.testImages !== undefined || chips !== undefined
        ? { validationImages: positiveInt('--validation-images', args.validationImages, 10), testImages: positiveInt('--test-images', args.testImages), chips }
        : undefined,
    threads,
    ...(queue ? { queue } : {}),
  };
}

function fmtSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

const PHASE_LABEL: Record<EvolveProgress['phase'], string> = {
  data: '1/4 data    ',
  supernet: '2/4 supernet',
  search: '3/4 search  ',
  final: '4/4 final   ',
  report: '4/4 report  ',
};

/** "18.7% lower" or "99.3% higher" from a reduction 1 - edap / baseline edap. */
export function edapChange(reduction: number): string {
  return reduction >= 0 ? `${(100 * reduction).toFixed(1)}% lower` : `${(-100 * reduction).toFixed(1)}% higher`;
}

/** Prints the comparison table of a finished run: test accuracy as mean ± std over the chips, with its 95% CI. */
export function summaryLines(r: EvolveResults): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const chips = r.config.evaluation.chips;
  const accWidth = chips > 1 ? 36 : 9;
  const lines = [
    `test split, ${chips} chip${chips > 1 ? 's (non-ideal: mean ± std, 95% CI of the mean)' : ''}`,
    `model                 ideal    ${'non-ideal'.padEnd(accWidth)}  EDAP (J*s*mm^2)  vs best baseline  per layer kernel x crossbar`,
  ];
  const best = r.baselines.find((b) => b.name === r.claims.bestBaseline)!;
  for (const m of [...r.finals, ...r.baselines]) {
    lines.push(
      `${m.name.padEnd(20)}  ${pct(m.test.idealAccuracy).padStart(7)}  ${formatTestAccuracy(m.test, { ci: true }).padEnd(accWidth)}  ${m.test.edap.toExponential(3).padStart(15)}  ` +
        `${(100 * (1 - m.test.edap / best.test.edap)).toFixed(1).padStart(15)}%  ${m.layers.map((l) => `${l.kernel}x${l.crossbar}`).join(' ')}`,
    );
  }
  const c = r.claims;
  lines.push(
    `chosen vs ${c.bestBaseline}: accuracy ${pct(c.chosenAccuracy)} vs ${pct(c.bestBaselineAccuracy)} ` +
      `(${c.accuracySignificantlyHigher ? 'significantly higher' : c.accuracyAtLeastBaseline ? 'ok: not significantly lower' : 'significantly LOWER'}), ` +
      `EDAP ${edapChange(c.edapReduction)} (${c.edapReductionAtLeast17Percent ? 'ok' : 'below the 17% reduction'}), mixed crossbars ${c.chosenUsesMixedCrossbars ? 'yes' : 'no'}, ` +
      `front dominated by a baseline: ${c.frontDominatedByBaseline.length ? c.frontDominatedByBaseline.join(', ') : 'none'}`,
    `  ${describeAccuracyComparison(c.accuracyComparison)}`,
  );
  return lines;
}

export async function evolveHandler(args: EvolveArgs, extra: { signal?: AbortSignal; log?: (line: string) => void } = {}): Promise<EvolveResults> {
  const options = evolveOptionsFromArgs(args);
  const log = extra.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const bar = createProgressBar('{phase} |{bar}| {value}/{total} | {message} | {elapsed} elapsed, run ETA {runEta}', args);
  const onProgress = (e: EvolveProgress) =>
    bar.update(e.phase, e.done, e.total, { phase: PHASE_LABEL[e.phase], message: e.message.slice(0, e.phase === 'search' ? 120 : 60), runEta: fmtSeconds(e.etaSeconds), elapsed: fmtSeconds(e.elapsedSeconds) });
  // A log line ends the bar; the next progress event starts a new one below it.
  const quietLog = (line: string) => {
    bar.stop();
    log(line);
  };
  try {
    return await evolve({ ...options, signal: extra.signal, onProgress, log: quietLog });
  } finally {
    bar.stop();
  }
}

export const evolveCommand: CommandModule<object, EvolveArgs> = {
  command: 'evolve',
  describe: 'Co-design search: per-layer kernel and crossbar size by NSGA-II (accuracy on non-ideal crossbars vs EDAP)',
  builder: (y) =>
    y
      .option('dataset', { type: 'string', choices: [...EVOLVE_DATASETS], default: 'mnist', describe: 'data set (mnist ships with the package)' })
      .option('data-path', { type: 'string', describe: 'folder with the data set files (cifar10, idx; optional for fashion-mnist)' })
      .option('kernels', { type: 'string', describe: 'kernel sizes each searchable conv may take', default: '3,5,7' })
      .option('xbars', { type: 'string', describe: 'crossbar sizes (rows = cols unless --cols) each layer may take', default: '16,32,64,128' })
      .option('rows', { type: 'string', describe: 'crossbar rows each layer may take (another name for --xbars)' })
      .option('cols', { type: 'string', describe: 'crossbar columns, searched independently of the rows (non-square arrays, e.g. 64x32); must include every --xbars size' })
      .option('adc-bits-gene', { type: 'string', describe: 'search the ADC resolution per layer among these, e.g. 4,5,6,lossless (default: not searched)' })
      .option('screen', { type: 'string', describe: 'successive-halving screen: score offspring on these fractions of the validation images first, e.g. 0.125,0.5 (default: off)' })
      .option('screen-keep', { type: 'number', describe: 'most of a screening rung\'s candidates that go on (default 0.5)' })
      .option('population', { type: 'number', describe: 'NSGA-II population (default 16; --quick 8)' })
      .option('generations', { type: 'number', describe: 'generations after the initial one (default 6; --quick 3)' })
      .option('seed', { type: 'number', default: 0 })
      .option('out', { type: 'string', default: 'nax-results', describe: 'output folder (results.json, report.html, models/, checkpoints)' })
      .option('device', { type: 'string', describe: 'JSON file: crossbar device/converter config (merged over the defaults)' })
      .option('variation', { type: 'number', describe: 'lognormal programming variation sigma (0 = off; default 0.1)' })
      .option('device-model', { type: 'string', describe: `published device model instead of the generic variation: ${DEVICE_PRESET_NAMES.join(', ')} (README "Device models")` })
      .option('device-time', { type: 'number', describe: 'seconds after programming at which the device model is evaluated (drift; default 0)' })
      .option('read-noise', { type: 'number', describe: 'ADC read noise, LSB (default 0: off; slows crossbar runs 60-100x)' })
      .option('wire-ohms', { type: 'number', describe: 'word/bit-line resistance per cell, ohms (0 = no parasitics; default 2.82)' })
      .option('adc-bits', { type: 'string', describe: 'ADC bits per conversion, "lossless" (default: the largest column code of the cells and DAC) or "nax" (ceil(log2(3*rows)))' })
      .option('hardware', { type: 'string', describe: 'JSON file: hardware cost figures (merged over the defaults)' })
      .option('adc-scaling', { type: 'string', choices: ['power-time', 'linear', 'survey'], describe: 'ADC energy vs bits (default power-time: PUMA, energy ~ b^2)' })
      .option('quick', { type: 'boolean', describe: 'small network, short training and search (about 3 minutes)' })
      .option('resume', { type: 'boolean', describe: 'continue the run saved in --out' })
      .option('lambda', { type: 'number', describe: 'weight of normalised EDAP in the scalarised score (default 0.05)' })
      .option('epochs', { type: 'number', describe: 'supernet training epochs' })
      .option('train-images', { type: 'number', describe: 'training images for the supernet' })
      .option('validation-images', { type: 'number', describe: 'held-out images each candidate is scored on' })
      .option('test-images', { type: 'number', describe: 'test images the final models are scored on' })
      .option('chips', { ...sharedOptions.chips, describe: 'device instances the final models and baselines are scored on, test split (default 5; --quick 2; the search itself scores chip 0)' })
      .option('width', { type: 'number', describe: 'channels of the first ResNet stage' })
      .option('threads', sharedOptions.threads)
      .options(queueOptionsDefinition)
      .option('progress', sharedOptions.progress)
      .option('json', { ...sharedOptions.json, describe: 'print the results summary as JSON' }) as never,
  handler: async (args) => {
    const controller = new AbortController();
    let interrupted = 0;
    const onSigint = () => {
      interrupted++;
      if (interrupted > 1) process.exit(130);
      process.stderr.write('\nnax-native evolve: stopping; every finished candidate (and supernet epoch) is checkpointed, --resume continues (Ctrl-C again to quit now)\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const results = await evolveHandler(args, { signal: controller.signal });
      if (args.json) console.log(JSON.stringify({ claims: results.claims, finals: results.finals.map(({ costLayers: _c, ...m }) => m), baselines: results.baselines.map(({ costLayers: _c, ...m }) => m), timings: results.timings }, null, 2));
      else for (const line of summaryLines(results)) console.log(line);
      console.error(`wrote ${args.out ?? 'nax-results'}/results.json, report.html and models/`);
    } catch (err) {
      if ((err as NaxError).code !== ErrorCodes.cancelled) throw err;
      // (With --queue, the candidates workers are evaluating stay queued; --resume collects them.)
      // Interrupted on purpose: say how to continue and exit like a shell does after SIGINT.
      process.stderr.write(`nax-native: ${(err as Error).message}\n`);
      process.exitCode = 130;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
