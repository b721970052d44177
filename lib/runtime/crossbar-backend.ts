/**
 * The executor's crossbar-engine backend: each group of each lowered layer is programmed once
 * (lib/crossbar CrossbarLayer) with exactly the config its plan entry holds (lib/plan); the
 * backend resolves and defaults nothing itself.
 */
import { ErrorCodes, NaxError } from '../errors';
import type { CrossbarConfig } from '../crossbar/config';
import { CrossbarLayer, type CrossbarLayerState } from '../crossbar/layer';
import { type CrossbarPlan, groupConfig, layerPlanOf } from '../plan/plan';
import type { MatmulBackend } from './backend';
import { checkMemory } from '../memory';
import { crossbarProgramBytes } from '../crossbar/memory';
import { gemm } from '../native';
import { float32Zeros } from './values';

export interface CrossbarBackend extends MatmulBackend {
  /** The plan every layer is programmed from. */
  readonly plan: CrossbarPlan;
  /** What was programmed so far, per layer and group: its config and the native engine's own report. */
  programmed(): ProgrammedGroup[];
  /**
   * ADC calibration over a calibration set (layers with adcRange 'calibrated'): while `pass`
   * runs batches through the executor, every programmed group accumulates its largest ADC input
   * (CrossbarLayer.calibrateAdc) and hands the float product downstream, so each layer sees the
   * ideal activations its input scale was calibrated on (lib/runtime/calibrate.ts); then each
   * calibrated group's range is fixed. Returns the number of groups calibrated.
   */
  calibrateAdcs(pass: () => Promise<void>): Promise<number>;
  /** Frees every programmed layer. */
  dispose(): void;
}

export interface ProgrammedGroup {
  layer: string;
  group: number;
  config: CrossbarConfig;
  /** The native engine's state: ADC bits and arrays as it programmed them. */
  state: CrossbarLayerState;
}

export function crossbarBackend(plan: CrossbarPlan): CrossbarBackend {
  if (!plan || !Array.isArray(plan.layers))
    throw new NaxError(ErrorCodes.invalidArgument, 'expected a crossbar plan (planGraph / planLayers) for crossbarBackend');
  const programmed: Array<{ layer: string; group: number; xb: CrossbarLayer }> = [];
  // Programmed layers stay resident together: their estimated bytes add up.
  let residentBytes = 0;
  let calibrating = false;
  return {
    name: 'crossbar',
    plan,
    async program(layer, group, weights) {
      const entry = layerPlanOf(plan, layer.name);
      if (entry.k !== layer.k || entry.n !== layer.n || entry.groups !== layer.groups)
        throw new NaxError(
          ErrorCodes.sizeMismatch,
          `layer ${layer.name} is ${layer.groups} x ${layer.k} x ${layer.n} (groups x K x N) but its plan entry is ${entry.groups} x ${entry.k} x ${entry.n}; make the plan from the same model`,
        );
      const config = groupConfig(entry, group);
      const bytes = crossbarProgramBytes(layer.k, layer.n, config);
      checkMemory(
        residentBytes + bytes,
        `programming the model's crossbar layers (${programmed.length} programmed so far, then ${layer.name})`,
        'use smaller arrays for the large layers, or evaluate a smaller model',
      );
      const xb = await CrossbarLayer.program({ weights, k: layer.k, n: layer.n, config });
      residentBytes += bytes;
      programmed.push({ layer: layer.name, group, xb });
      // Kept for ADC calibration passes only (the float product goes downstream there).
      const floatWeights = config.adcRange === 'calibrated' || plan.layers.some((l) => l.config.adcRange === 'calibrated') ? Float32Array.from(weights) : undefined;
      return {
        run: async (rows, count) => {
          if (!calibrating || !floatWeights) return xb.run(rows, count);
          if (xb.config.adcRange === 'calibrated') await xb.calibrateAdc(rows, count);
          const out = float32Zeros(count * layer.n);
          if (count > 0) await gemm({ m: count, n: layer.n, k: layer.k, a: rows, b: floatWeights, c: out, threads: xb.config.threads });
          return out;
        },
      };
    },
    async calibrateAdcs(pass) {
      calibrating = true;
      try {
        await pass();
      } finally {
        calibrating = false;
      }
      let calibrated = 0;
      for (const { xb } of programmed)
        if (xb.config.adcRange === 'calibrated' && !xb.config.ideal) {
          xb.finalizeAdcCalibration();
          calibrated++;
        }
      return calibrated;
    },
    groupsPerMatrix(layer) {
      return layerPlanOf(plan, layer.name).packing?.groupsPerMatrix ?? 1;
    },
    programmed() {
      return programmed.map(({ layer, group, xb }) => ({ layer, group, config: xb.config, state: xb.state() }));
    },
    dispose() {
      for (const l of programmed) l.xb.dispose();
      programmed.length = 0;
    },
  };
}
