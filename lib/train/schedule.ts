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
