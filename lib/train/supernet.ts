/**
 * Subnets of a weight-sharing supernet: a kernel per searchable conv picks
 * the centre of each elastic weight (Once-for-All); BatchNorm statistics are
 * then re-estimated for that subnet on a few training batches.
 */
import { invalid } from '../errors';
import type { TrainNodeSpec } from './native';
import { TrainModel } from './model';
import type { ImageSet, ModelOptions } from './model';
import type { NetworkSpec } from './network';

/** Centre k x k of a [cout, cin, K, K] weight. */
export function centreKernel(weight: Float32Array | Float64Array, shape: number[], k: number): Float32Array {
  const [cout, cin, K] = shape;
  const off = (K - k) / 2;
  const out = new Float32Array(cout * cin * k * k);
  for (let oc = 0; oc < cout * cin; oc++)
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) out[(oc * k + i) * k + j] = weight[(oc * K + i + off) * K + j + off];
  return out;
}

/** The network spec of one subnet: each searchable conv fixed to its kernel (still searchable, with one choice). */
export function subnetSpec(spec: NetworkSpec, kernels: number[]): NetworkSpec {
  let i = 0;
  const nodes = spec.nodes.map((n): TrainNodeSpec => {
    if (n.op !== 'conv' || n.kernelChoices === undefined) return { ...n };
    const k = kernels[i++];
    if (!n.kernelChoices.includes(k)) throw invalid(`kernels[${i - 1}]`, `one of ${n.kernelChoices.join(', ')} for ${n.name}`, k);
    return { ...n, kernel: k, pad: Math.floor(k / 2), kernelChoices: [k] };
  });
  const searchable = spec.nodes.filter((n) => n.op === 'conv' && n.kernelChoices !== undefined).length;
  if (kernels.length !== searchable) throw invalid('kernels', `${searchable} kernel sizes`, kernels);
  return { ...spec, nodes };
}

export interface ExtractOptions extends ModelOptions {
  /** Training images for BatchNorm recalibration; without them the supernet's statistics are kept. */
  calibration?: ImageSet;
  calibrationBatches?: number;
  calibrationBatchSize?: number;
}

/** A standalone model of one subnet with inherited weights (and recalibrated BatchNorm). */
export async function extractSubnet(supernet: TrainModel, kernels: number[], options: ExtractOptions = {}): Promise<TrainModel> {
  const spec = subnetSpec(supernet.spec, kernels);
  const sub = new TrainModel(spec, { threads: options.threads, precision: options.precision });
  const convKernel = new Map<string, number>();
  for (const n of spec.nodes) if (n.op === 'conv') convKernel.set(`${n.name}.weight`, n.kernel ?? 1);
  supernet.params.forEach((p) => {
    let values = supernet.getParam(p.name);
    const k = convKernel.get(p.name);
    if (k !== undefined && p.shape[2] !== k) values = centreKernel(values, p.shape, k);
    sub.setParam(p.name, values);
  });
  if (options.calibration)
    await sub.recalibrateBatchNorm(options.calibration, { batches: options.calibrationBatches ?? 20, batchSize: options.calibrationBatchSize ?? 128 });
  return sub;
}
