/** Learning-rate schedule: linear warm-up, then cosine decay to `minLr`. */
export interface CosineSchedule {
  /** Peak learning rate (reached at the end of warm-up). */
  lr: number;
  totalSteps: number;
  warmupSteps?: number;
  minLr?: number;
}

/** Learning rate for 0-based `step`. */
export function cosineLr(step: number, s: CosineSchedule): number {
  const warmup = Math.max(0, Math.min(s.warmupSteps ?? 0, s.totalSteps));
  const minLr = s.minLr ?? 0;
  if (step < warmup) return (s.lr * (step + 1)) / warmup;
  const span = Math.max(1, s.totalSteps - warmup);
  const t = Math.min(1, (step - warmup) / span);
  return minLr + 0.5 * (s.lr - minLr) * (1 + Math.cos(Math.PI * t));
}

/**
 * Which kernels a single-path supernet samples over training: Once-for-All's progressive
 * shrinking of the elastic kernel (Cai, Gan, Wang, Zhang, Han, "Once-for-All: Train One Network
 * and Specialize it for Efficient Deployment", ICLR 2020, Sec. 3.2 and Fig. 2): the network is
 * first trained at its largest kernel only, so the shared weight's centre learns inside a working
 * network, and smaller kernels (its centres) are sampled only afterwards.
 *   largestFraction: share of all steps trained at the largest kernel everywhere (0: sample from
 *     the first step, today's plain single-path training);
 *   stages: 'all' samples every choice after that phase (OFA's elastic-kernel stage); 'progressive'
 *     splits the rest evenly into one phase per smaller kernel, each adding the next smaller one
 *     ({7} -> {7,5} -> {7,5,3}; OFA's elastic-depth stages shrink that way);
 *   sandwich: after the largest-only phase, every third step trains the smallest subnet (every
 *     searchable conv at its smallest kernel) and every third the largest, the rest sample: the
 *     single-path form of BigNAS's sandwich rule (Yu et al., "BigNAS", ECCV 2020, Sec. 3.1), which
 *     trains the two ends of the space, here the all-3x3 network the homogeneous baselines use.
 */
export interface KernelSchedule {
  largestFraction: number;
  stages: 'all' | 'progressive';
  sandwich?: boolean;
}

/** The kernels a searchable conv with `choices` (ascending) may take at 0-based `step` of `totalSteps`. */
export function allowedKernels(choices: number[], step: number, totalSteps: number, schedule: KernelSchedule | undefined): number[] {
  if (!schedule || choices.length < 2) return choices;
  const largest = Math.round(schedule.largestFraction * totalSteps);
  if (step < largest) return choices.slice(-1);
  if (schedule.sandwich && (step - largest) % 3 === 0) return choices.slice(0, 1);
  if (schedule.sandwich && (step - largest) % 3 === 1) return choices.slice(-1);
  if (schedule.stages === 'all') return choices;
  const phases = choices.length - 1;
  const span = Math.max(1, (totalSteps - largest) / phases);
  const phase = Math.min(phases - 1, Math.floor((step - largest) / span));
  return choices.slice(choices.length - 2 - phase);
}
