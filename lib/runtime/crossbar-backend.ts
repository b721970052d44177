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

export interface CrossbarBackend extends MatmulBackend {
  /** The plan every layer is programmed from. */
  readonly plan: CrossbarPlan;
  /** What was programmed so far, per layer and group: its config and the native engine's own report. */
  programmed(): ProgrammedGroup[];
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
      return { run: (rows, count) => xb.run(rows, count) };
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
