/** Small synthetic image sets for trainer tests (no data files needed). */
import type { ImageSet } from '../../lib/train';

/** `count` images of shape [c, h, w]: class k is a bright k-th horizontal band plus noise, so it is learnable. */
export function bandImages(count: number, shape: [number, number, number], classes: number, seed = 1): ImageSet {
  const [c, h, w] = shape;
  const images = new Float32Array(count * c * h * w);
  const labels = new Uint8Array(count);
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    labels[i] = label;
    const band = Math.floor((label * h) / classes);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          images[((i * c + ch) * h + y) * w + x] = 0.5 * rand() + (Math.abs(y - band) <= 1 ? 1.5 : -0.5);
  }
  return { images, labels, count };
}

/** Pure noise with random labels: only memorisation fits it. */
export function noiseImages(count: number, shape: [number, number, number], classes: number, seed = 7): ImageSet {
  const size = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  for (let i = 0; i < images.length; i++) images[i] = (next() / 4294967296) * 2 - 1;
  for (let i = 0; i < count; i++) labels[i] = next() % classes;
  return { images, labels, count };
}
