#!/usr/bin/env node
// Runs one fixed workload (a crossbar layer with IR drop, variation and read
// noise; the same layer with ideal devices; a float GEMM; a parasitic circuit
// solve) on every prebuilt level this CPU supports and on the source build,
// each in its own process, and reports which results agree bit for bit. With
// ideal devices the crossbar's column sums are exact integers, so those outputs
// must agree across levels (the script fails otherwise); with device effects
// the effective conductances are not integers, and FMA (x86-64-v3 and up)
// rounds the float sums differently from separate multiply and add, so those
// results, like float GEMMs, may differ in the last bits: measured and reported.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
if (!fs.existsSync(path.join(dist, 'index.js'))) {
  console.error('compare-prebuilt: build the TypeScript first (npm run build:ts)');
  process.exit(1);
}
const { prebuiltCandidates } = require(path.join(dist, 'native.js'));
const sources = prebuiltCandidates(root).filter((s) => fs.existsSync(s.path));
const sourceBuild = path.join(root, 'build', 'Release', 'nax_native.node');
if (fs.existsSync(sourceBuild)) sources.push({ path: sourceBuild, kind: 'source', level: 'native (source build)' });
if (sources.length === 0) {
  console.log('compare-prebuilt: no prebuilt binaries for this platform and CPU (run node scripts/prebuild.js)');
  process.exit(0);
}

const workload = `
const nax = require(${JSON.stringify(dist)});
const crypto = require('crypto');
const hash = (a) => crypto.createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
(async () => {
  const k = 300, n = 70, batch = 33;
  const w = new Float32Array(k * n).map((_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.013));
  const x = new Float32Array(batch * k).map((_, i) => Math.cos(i * 0.11));
  const layer = await nax.CrossbarLayer.program({ weights: w, k, n, config: { rows: 64, cols: 32, parasitics: true, variation: { sigma: 0.1 }, readNoise: 0.7, seed: 11, threads: 2 } });
  const y = await layer.run(x, batch);
  const exact = await nax.CrossbarLayer.program({ weights: w, k, n, config: { rows: 64, cols: 32, seed: 11, threads: 2 } });
  const yExact = await exact.run(x, batch);
  const m = 97, kk = 131, nn = 83;
  const a = new Float32Array(m * kk).map((_, i) => Math.sin(i * 0.7));
  const b = new Float32Array(kk * nn).map((_, i) => Math.cos(i * 0.3));
  const c = new Float32Array(m * nn);
  await nax.loadAddon().gemm({ transA: false, transB: false, m, n: nn, k: kk, alpha: 1, beta: 0, a, lda: kk, b, ldb: nn, c, ldc: nn, threads: 2 });
  const rows = 24, cols = 20;
  const g = new Float64Array(rows * cols).map((_, i) => 2e-6 + 4e-6 * ((i * 7919) % 13) / 12);
  const t = await nax.transferMatrix({ rows, cols, conductances: g, rWordLine: 2.82, rBitLine: 2.82, rSource: 10, rSink: 5 });
  console.log(JSON.stringify({ exact: hash(yExact), crossbar: hash(y), crossbarValues: Array.from(y), gemm: hash(c), circuit: hash(t), circuitValues: Array.from(t), gemmValues: Array.from(c.subarray(0, 2000)) }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const results = [];
for (const s of sources) {
  const r = spawnSync(process.execPath, ['-e', workload], { env: { ...process.env, NAX_NATIVE_ADDON: s.path }, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`compare-prebuilt: ${s.level} failed:\n${r.stderr}`);
    process.exit(1);
  }
  results.push({ level: s.level, ...JSON.parse(r.stdout.trim().split('\n').pop()) });
}
const base = results[0];
const maxRel = (a, b) => {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return scale > 0 ? d / scale : d;
};
const same = (r, key, values) =>
  r[key] === base[key] ? 'same' : values ? `max diff ${maxRel(r[values], base[values]).toExponential(1)} of the largest |value|` : 'DIFFERS';
let exactDiffers = false;
console.log(`reference: ${base.level}`);
for (const r of results) {
  if (r.exact !== base.exact) exactDiffers = true;
  console.log(
    `${r.level.padEnd(22)} ideal-device crossbar: ${same(r, 'exact')}; non-ideal crossbar: ${same(r, 'crossbar', 'crossbarValues')}; ` +
      `circuit: ${same(r, 'circuit', 'circuitValues')}; gemm: ${same(r, 'gemm', 'gemmValues')}`,
  );
}
void crypto;
if (exactDiffers) {
  console.error('compare-prebuilt: ideal-device crossbar results (exact integer sums) differ between instruction-set levels');
  process.exit(1);
}
