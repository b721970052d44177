/**
 * Options of `evolve()` / `nax-native evolve`: defaults, the --quick preset and validation.
 *
 * The defaults are sized so that the whole pipeline (supernet training, search, baselines,
 * fine-tuning and test evaluation) finishes within 20 minutes on a 2-core machine, --quick within
 * 3 minutes; every number below is a knob the caller can turn.
 */
import type { CrossbarConfigInput } from '../crossbar';
import { resolveCrossbarConfig, DEFAULT_NON_IDEAL, MAX_THREADS, overNonIdealPreset } from '../crossbar';
import { NaxError, ErrorCodes, expectNumber, expectOneOf, invalid, rejectUnknownKeys } from '../errors';
import type { DatasetName } from '../data';
import { resolveHardware, type HardwareConfig, type HardwareOverrides } from '../hardware';
import { ARCHS, KERNEL_SIZE_RULE, isKernelSize, type ArchName } from '../train';
import { DEFAULT_LAMBDA } from './choose';
import { MAX_CHIPS } from '../runtime/classify';
import { DEFAULT_CROSSBAR_SIZES, DEFAULT_KERNEL_SIZES, MAX_ADC_GENE_BITS, MAX_CROSSBAR_SIZE, MIN_ADC_GENE_BITS, type AdcGeneValue } from '../search/genome';

/**
 * Device and converter defaults of the search: the engine's NAX Table I / PUMA converters (2-bit
 * cells, 8-bit weights and inputs, 1-bit DAC, ADC resolution lossless for the array's largest
 * column code: NAX's ceil(log2(3*rows)) plus the bipolar reference-column readout's sign bit) with
 * the project's shared non-ideal preset (DEFAULT_NON_IDEAL, the one `sweep` reports; evolve's
 * mapping files carry it to `eval`), so accuracy depends on the crossbar size for physical reasons:
 * - parasitics: 2.82 ohm of word-line and bit-line wire per cell (MNSIM), solved exactly: IR drop
 *   grows with the array side, so large arrays distort the weights most;
 * - lognormal programming variation, sigma 0.1 of ln G, drawn per cell, with per-output-channel
 *   weight scales (presets.ts says why: per-layer scales left the chip-to-chip spread at 75-96%);
 * - read noise: off by default; `--read-noise 0.5` draws it afresh on every conversion (1.05-2.6x
 *   the noise-free run, README): each row tile is one more noisy partial sum per column, so it
 *   penalises small arrays;
 * - stuck-at faults: off. At 0.1% stuck-on and 0.1% stuck-off cells a single stuck cell in a
 *   most-significant slice moves a weight by up to half its range, so accuracy is decided by where
 *   the faults happen to fall (46-90% for one network depending on the draw), a per-chip lottery
 *   the search would only fit; `--device` turns them on.
 * Everything is seeded per layer, so a candidate's accuracy repeats exactly.
 */
export const EVOLVE_DEVICE_DEFAULTS: Readonly<CrossbarConfigInput> = Object.freeze({ ...DEFAULT_NON_IDEAL, stuckAtOn: 0, stuckAtOff: 0, readNoise: 0, seed: 0 });

export const EVOLVE_DATASETS = ['mnist', 'fashion-mnist', 'cifar10', 'idx'] as const;

export interface EvolveNetworkOptions {
  /** Default: resnet-mnist for 28x28 inputs, resnet20 for CIFAR-10. */
  arch?: ArchName;
  /** Channels of the first stage. */
  width?: number;
  /** Residual blocks per stage. */
  blocks?: number;
}

export interface EvolveSupernetOptions {
  epochs?: number;
  /** Training images used (taken from the training split minus the validation images). */
  images?: number;
  batchSize?: number;
  /** Peak learning rate (cosine schedule). */
  lr?: number;
}

export interface EvolveFinetuneOptions {
  /** Epochs of fixed-subnet fine-tuning for each final model and for the baseline network. */
  epochs?: number;
  images?: number;
  lr?: number;
  /** How many Pareto models are finalised (the chosen one first). */
  models?: number;
  /**
   * How many Pareto models are fine-tuned and re-scored on the validation split before the choice
   * (at least `models`). Search-time scores use inherited supernet weights; fine-tuning moves every
   * model's accuracy and its sensitivity to the device, so the choice is made after it.
   */
  finalists?: number;
}

export interface EvolveEvaluationOptions {
  /** Held-out training images the search scores accuracy on (validation split). */
  validationImages?: number;
  /** Test images the final models and baselines are scored on (default: the whole test split). */
  testImages?: number;
  /** Training batches that recalibrate each subnet's BatchNorm. */
  calibrationBatches?: number;
  calibrationBatchSize?: number;
  /** Images whose activations set each layer's DAC input range. */
  scaleImages?: number;
  batchSize?: number;
  /**
   * Device instances (chips: independent draws of variation, faults and read noise) the final
   * models and every baseline are scored on, on the test split (default 5; --quick 2). The
   * search's candidate scores stay on chip 0 (one draw per candidate keeps the search's cost).
   */
  chips?: number;
  /**
   * Validation images the chosen model's per-layer sensitivity is measured on (report.html's
   * "why" table: 2 x layers + 1 crossbar runs; default 200; 0 skips it).
   */
  sensitivityImages?: number;
}

/**
 * Successive-halving screen of the search's offspring (lib/search/evolution.ts): each
 * generation's new candidates are scored on the first `fidelities[i]` fraction of the validation
 * images first, and only those not ruled out go on to the full validation set.
 */
export interface EvolveScreeningOptions {
  /** Rung fractions of the validation images, ascending in (0, 1) (e.g. [0.125, 0.5]). */
  fidelities: number[];
  /** Most of a rung's candidates that go on (default 0.5). */
  keep?: number;
}

export interface EvolveConfig {
  dataset: DatasetName;
  dataPath?: string;
  kernels: number[];
  /** Crossbar rows each layer may take (also its columns unless `cols` is set). */
  crossbars: number[];
  /** Crossbar columns searched independently of the rows (absent: square arrays). */
  cols?: number[];
  /** ADC resolutions searched per layer (absent: the device config's rule for every layer). */
  adcBitsGene?: AdcGeneValue[];
  /** The offspring screen (null: every offspring in full). */
  screening: Required<EvolveScreeningOptions> | null;
  /** The predictor pre-screen (null: off). */
  prescreen: { oversample: number } | null;
  population: number;
  generations: number;
  seed: number;
  outDir: string;
  device: CrossbarConfigInput;
  hardware: HardwareConfig;
  lambda: number;
  quick: boolean;
  network: Required<Pick<EvolveNetworkOptions, 'width' | 'blocks'>> & { arch?: ArchName };
  supernet: Required<EvolveSupernetOptions>;
  finetune: Required<EvolveFinetuneOptions>;
  evaluation: Required<Omit<EvolveEvaluationOptions, 'testImages'>> & { testImages?: number };
  threads: number;
}

/**
 * Defaults of a full run (MNIST-sized 28x28 data; CIFAR-10 uses the same numbers on ResNet-20).
 * Sized on a 2-core AVX-512 machine (README "Defaults"): 8 supernet epochs on every training image
 * left after the validation split and fine-tuning on 30,000 images bring the baseline network to
 * 99.08% ideal on MNIST (4 epochs on 40,000 and fine-tuning on 10,000: 98.27%), and two final
 * models instead of three keep the 5-chip test split, the run's longest phase, at about 530 s:
 * 16.2 minutes in all. supernet.images above the split's size takes the whole split.
 */
export const EVOLVE_DEFAULTS = {
  population: 16,
  generations: 6,
  seed: 0,
  outDir: 'nax-results',
  network: { width: 8, blocks: 1 },
  supernet: { epochs: 8, images: 60000, batchSize: 128, lr: 0.1 },
  finetune: { epochs: 1, images: 30000, lr: 0.01, models: 2, finalists: 8 },
  evaluation: { validationImages: 800, testImages: 10000, calibrationBatches: 8, calibrationBatchSize: 128, scaleImages: 64, batchSize: 200, chips: 5, sensitivityImages: 200 },
} as const;

/** --quick: a small network, short training and a short search (about 3 minutes on 2 cores). */
export const EVOLVE_QUICK = {
  population: 8,
  generations: 3,
  network: { width: 8, blocks: 1 },
  // Batch 32 at peak lr 0.2: 312 steps on 10,000 images cost about the CPU time of batch 128's
  // 78 steps, which had left the supernet at 41% training accuracy (all-3x3 subnet 61% ideal on
  // held-out MNIST; 89-91% at batch 32). Two epochs on 20,000 images (1,250 steps, about 48 s
  // of the run) reach 97% training accuracy: the baselines go from 94.0% to 96.8% ideal on the
  // 1,000 test images and from 91.6% to 96.1% non-ideal (16x16, mean of 2 chips).
  supernet: { epochs: 2, images: 20000, batchSize: 32, lr: 0.2 },
  finetune: { epochs: 1, images: 2000, lr: 0.01, models: 2, finalists: 4 },
  evaluation: { validationImages: 250, testImages: 1000, calibrationBatches: 4, calibrationBatchSize: 128, scaleImages: 64, batchSize: 125, chips: 2, sensitivityImages: 100 },
} as const;

export interface EvolveOptionsInput {
  dataset?: DatasetName;
  dataPath?: string;
  kernels?: number[];
  /** Crossbar rows (= columns unless `cols` is given) each layer may take. */
  crossbars?: number[];
  /** Crossbar column counts, searched independently of the rows (must include every `crossbars` size: the baselines are square). */
  cols?: number[];
  /** ADC resolutions to search per layer, e.g. [4, 5, 6, 'lossless'] (default: not searched). */
  adcBitsGene?: AdcGeneValue[];
  /** Successive-halving screen of the offspring (default: off). */
  screening?: EvolveScreeningOptions | false | null;
  /** Predictor pre-screen: breed `oversample` x population offspring, simulate the population's worth the predictor ranks best (default: off). */
  prescreen?: { oversample?: number } | false | null;
  population?: number;
  generations?: number;
  seed?: number;
  outDir?: string;
  device?: CrossbarConfigInput;
  hardware?: HardwareOverrides;
  lambda?: number;
  quick?: boolean;
  network?: EvolveNetworkOptions;
  supernet?: EvolveSupernetOptions;
  finetune?: EvolveFinetuneOptions;
  evaluation?: EvolveEvaluationOptions;
  /** Native threads (0 = all cores; results are identical for any count). */
  threads?: number;
}

const TOP_KEYS = [
  'dataset', 'dataPath', 'kernels', 'crossbars', 'population', 'generations', 'seed', 'outDir', 'device', 'hardware', 'lambda',
  'quick', 'network', 'supernet', 'finetune', 'evaluation', 'threads', 'cols', 'adcBitsGene', 'screening', 'prescreen',
];

function section<T extends object>(name: string, value: unknown, keys: string[]): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(name, 'an object', value);
  rejectUnknownKeys(name, value, keys);
  return value as Partial<T>;
}

function sizeList(name: string, value: unknown, fallback: readonly number[], check: (v: number) => boolean, expected: string): number[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.length === 0) throw invalid(name, `a non-empty list of ${expected}`, value);
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !check(v)) throw invalid(`${name}[${i}]`, expected, v);
  });
  const sorted = [...new Set(value as number[])].sort((a, b) => a - b);
  if (sorted.length !== value.length) throw invalid(name, 'distinct values', JSON.stringify(value));
  return sorted;
}

/** Fills in defaults (the --quick preset first when asked) and validates everything up front. */
export function resolveEvolveOptions(input: EvolveOptionsInput = {}): EvolveConfig {
  if (typeof input !== 'object' || input === null) throw invalid('options', 'an object', input);
  rejectUnknownKeys('options', input, TOP_KEYS);
  const quick = input.quick === undefined ? false : expectOneOf('quick', input.quick, [true, false] as const);
  const preset = quick ? { ...EVOLVE_DEFAULTS, ...EVOLVE_QUICK } : EVOLVE_DEFAULTS;
  const dataset = expectOneOf('dataset', input.dataset ?? 'mnist', EVOLVE_DATASETS);
  if (input.dataPath !== undefined && typeof input.dataPath !== 'string') throw invalid('dataPath', 'a folder path', input.dataPath);
  if ((dataset === 'cifar10' || dataset === 'idx') && input.dataPath === undefined && !process.env.NAX_DATA_PATH)
    throw new NaxError(ErrorCodes.invalidArgument, `expected --data-path (dataPath) for data set ${dataset}, got none (mnist and fashion-mnist have built-in locations)`);
  const kernels = sizeList('kernels', input.kernels, DEFAULT_KERNEL_SIZES, isKernelSize, KERNEL_SIZE_RULE);
  const crossbars = sizeList('crossbars', input.crossbars, DEFAULT_CROSSBAR_SIZES, (v) => Number.isInteger(v) && v >= 2 && v <= MAX_CROSSBAR_SIZE, `integers in [2, ${MAX_CROSSBAR_SIZE}]`);
  const cols =
    input.cols === undefined ? undefined : sizeList('cols', input.cols, [], (v) => Number.isInteger(v) && v >= 2 && v <= MAX_CROSSBAR_SIZE, `integers in [2, ${MAX_CROSSBAR_SIZE}]`);
  if (cols) {
    const missing = crossbars.filter((x) => !cols.includes(x));
    if (missing.length)
      throw new NaxError(ErrorCodes.config, `expected cols to include every crossbar size (the homogeneous baselines are square, rows = cols), got cols ${cols.join(',')} without ${missing.join(',')}`);
  }
  let adcBitsGene: AdcGeneValue[] | undefined;
  if (input.adcBitsGene !== undefined) {
    const list = input.adcBitsGene;
    if (!Array.isArray(list) || list.length === 0) throw invalid('adcBitsGene', `a non-empty list of integers in [${MIN_ADC_GENE_BITS}, ${MAX_ADC_GENE_BITS}] or 'lossless'`, list);
    list.forEach((v, i) => {
      if (v !== 'lossless' && !(typeof v === 'number' && Number.isInteger(v) && v >= MIN_ADC_GENE_BITS && v <= MAX_ADC_GENE_BITS))
        throw invalid(`adcBitsGene[${i}]`, `an integer in [${MIN_ADC_GENE_BITS}, ${MAX_ADC_GENE_BITS}] or 'lossless'`, v);
    });
    if (new Set(list).size !== list.length) throw invalid('adcBitsGene', 'distinct values', JSON.stringify(list));
    adcBitsGene = list.slice().sort((a, b) => (a === b ? 0 : a === 'lossless' ? 1 : b === 'lossless' ? -1 : a - b));
  }
  let screening: Required<EvolveScreeningOptions> | null = null;
  // null (a resolved config republished to queue workers) means off, like false.
  if (input.screening !== undefined && input.screening !== false && input.screening !== null) {
    const sc = section<EvolveScreeningOptions>('screening', input.screening, ['fidelities', 'keep']);
    const fidelities = sc.fidelities;
    if (!Array.isArray(fidelities) || fidelities.length === 0) throw invalid('screening.fidelities', 'a non-empty list of fractions in (0, 1), ascending', fidelities);
    fidelities.forEach((f, i) => {
      if (typeof f !== 'number' || !(f > 0 && f < 1)) throw invalid(`screening.fidelities[${i}]`, 'a fraction in (0, 1)', f);
      if (i > 0 && !(f > fidelities[i - 1])) throw invalid('screening.fidelities', 'strictly ascending fractions', JSON.stringify(fidelities));
    });
    screening = { fidelities: fidelities.slice(), keep: expectNumber('screening.keep', sc.keep ?? 0.5, { above: 0, max: 1 }) };
  }
  let prescreen: { oversample: number } | null = null;
  if (input.prescreen !== undefined && input.prescreen !== false && input.prescreen !== null) {
    const ps = section<{ oversample?: number }>('prescreen', input.prescreen, ['oversample']);
    prescreen = { oversample: expectNumber('prescreen.oversample', ps.oversample ?? 3, { min: 1, max: 32 }) };
  }
  const population = expectNumber('population', input.population ?? preset.population, { integer: true, min: 2, max: 10000 });
  const generations = expectNumber('generations', input.generations ?? preset.generations, { integer: true, min: 0, max: 10000 });
  const seed = expectNumber('seed', input.seed ?? EVOLVE_DEFAULTS.seed, { integer: true, min: 0, max: 2 ** 31 - 1 });
  const outDir = input.outDir ?? EVOLVE_DEFAULTS.outDir;
  if (typeof outDir !== 'string' || outDir === '') throw invalid('outDir', 'a folder path', outDir);
  const lambda = expectNumber('lambda', input.lambda ?? DEFAULT_LAMBDA, { min: 0 });
  const threads = expectNumber('threads', input.threads ?? 0, { integer: true, min: 0, max: MAX_THREADS });

  const device: CrossbarConfigInput = overNonIdealPreset(EVOLVE_DEVICE_DEFAULTS, input.device ?? {});
  if (input.device !== undefined && (typeof input.device !== 'object' || input.device === null || Array.isArray(input.device)))
    throw invalid('device', 'a crossbar config object', input.device);
  // The genome sets rows and cols per layer; a fixed size here would be silently overridden.
  for (const key of ['rows', 'cols', 'inputScale', 'threads'] as const)
    if (input.device && key in input.device) throw new NaxError(ErrorCodes.config, `device.${key} is set by the search (per layer), not by the device config; remove it`);
  const largest = crossbars[crossbars.length - 1];
  resolveCrossbarConfig({ ...device, rows: largest, cols: cols ? cols[cols.length - 1] : largest });
  // Every ADC gene value must be valid with the device config (e.g. a bipolar readout needs >= 2 bits).
  for (const adcBits of adcBitsGene ?? []) resolveCrossbarConfig({ ...device, rows: largest, cols: largest, adcBits });
  const hardware = resolveHardware(input.hardware);

  const net = section<EvolveNetworkOptions>('network', input.network, ['arch', 'width', 'blocks']);
  const network = {
    ...(net.arch !== undefined ? { arch: expectOneOf('network.arch', net.arch, ARCHS) } : {}),
    width: expectNumber('network.width', net.width ?? preset.network.width, { integer: true, min: 1, max: 512 }),
    blocks: expectNumber('network.blocks', net.blocks ?? preset.network.blocks, { integer: true, min: 1, max: 16 }),
  };
  const sn = section<EvolveSupernetOptions>('supernet', input.supernet, ['epochs', 'images', 'batchSize', 'lr']);
  const supernet = {
    epochs: expectNumber('supernet.epochs', sn.epochs ?? preset.supernet.epochs, { integer: true, min: 1, max: 1000 }),
    images: expectNumber('supernet.images', sn.images ?? preset.supernet.images, { integer: true, min: 2 }),
    batchSize: expectNumber('supernet.batchSize', sn.batchSize ?? preset.supernet.batchSize, { integer: true, min: 2, max: 4096 }),
    lr: expectNumber('supernet.lr', sn.lr ?? preset.supernet.lr, { above: 0, max: 10 }),
  };
  const ft = section<EvolveFinetuneOptions>('finetune', input.finetune, ['epochs', 'images', 'lr', 'models', 'finalists']);
  const finetune = {
    epochs: expectNumber('finetune.epochs', ft.epochs ?? preset.finetune.epochs, { integer: true, min: 0, max: 1000 }),
    images: expectNumber('finetune.images', ft.images ?? preset.finetune.images, { integer: true, min: 2 }),
    lr: expectNumber('finetune.lr', ft.lr ?? preset.finetune.lr, { above: 0, max: 10 }),
    models: expectNumber('finetune.models', ft.models ?? preset.finetune.models, { integer: true, min: 1, max: 100 }),
    finalists: 0,
  };
  finetune.finalists = Math.max(
    finetune.models,
    expectNumber('finetune.finalists', ft.finalists ?? preset.finetune.finalists, { integer: true, min: 1, max: 100 }),
  );
  const ev = section<EvolveEvaluationOptions>('evaluation', input.evaluation, [
    'validationImages', 'testImages', 'calibrationBatches', 'calibrationBatchSize', 'scaleImages', 'batchSize', 'chips', 'sensitivityImages',
  ]);
  const evaluation = {
    validationImages: expectNumber('evaluation.validationImages', ev.validationImages ?? preset.evaluation.validationImages, { integer: true, min: 10 }),
    testImages: ev.testImages === undefined ? preset.evaluation.testImages : expectNumber('evaluation.testImages', ev.testImages, { integer: true, min: 1 }),
    calibrationBatches: expectNumber('evaluation.calibrationBatches', ev.calibrationBatches ?? preset.evaluation.calibrationBatches, { integer: true, min: 1, max: 1000 }),
    calibrationBatchSize: expectNumber('evaluation.calibrationBatchSize', ev.calibrationBatchSize ?? preset.evaluation.calibrationBatchSize, { integer: true, min: 2, max: 4096 }),
    scaleImages: expectNumber('evaluation.scaleImages', ev.scaleImages ?? preset.evaluation.scaleImages, { integer: true, min: 1, max: 100000 }),
    batchSize: expectNumber('evaluation.batchSize', ev.batchSize ?? preset.evaluation.batchSize, { integer: true, min: 1, max: 100000 }),
    chips: expectNumber('evaluation.chips', ev.chips ?? preset.evaluation.chips, { integer: true, min: 1, max: MAX_CHIPS }),
    sensitivityImages: expectNumber('evaluation.sensitivityImages', ev.sensitivityImages ?? preset.evaluation.sensitivityImages, { integer: true, min: 0, max: 100000 }),
  };
  return {
    dataset,
    ...(input.dataPath !== undefined ? { dataPath: input.dataPath } : {}),
    kernels, crossbars, ...(cols ? { cols } : {}), ...(adcBitsGene ? { adcBitsGene } : {}), screening, prescreen, population, generations, seed, outDir, device, hardware, lambda, quick, network, supernet, finetune, evaluation, threads,
  };
}
