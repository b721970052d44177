#!/usr/bin/env node
// Builds the redistributable prebuilt addons that the npm package ships:
// one N-API binary per instruction-set level, in the prebuildify layout
// prebuilds/<platform>-<arch>/nax_native.<isa>.node. lib/native.ts loads the
// best level the CPU supports (lib/cpu.ts reads the CPU's features), so a
// package installed without a compiler still runs AVX-512 or AVX2 kernels
// where the machine has them, and SSE2 code anywhere else.
//
// Why several binaries and not one with function multi-versioning: the core's
// kernels take their vector width from the translation unit's -march flags
// (native/core/simd.h), and compiling some units of one shared object with
// AVX-512 and others without lets the linker keep an AVX-512 copy of a shared
// inline function (std::vector, node-addon-api) for all of them: a SIGILL on
// older CPUs. Separate binaries have no such hazard.
//
//   node scripts/prebuild.js                 # the levels for this platform
//   node scripts/prebuild.js x86-64 x86-64-v3
//   NAX_PREBUILD_ARCH=arm64 NAX_PREBUILD_CXX=aarch64-linux-gnu-g++ node scripts/prebuild.js armv8-a
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const LEVELS = {
  x64: ['x86-64', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4'],
  arm64: ['armv8-a'],
};
const arch = process.env.NAX_PREBUILD_ARCH || os.arch();
const platform = os.platform();
const levels = process.argv.length > 2 ? process.argv.slice(2) : LEVELS[arch];
if (!levels || levels.length === 0) {
  console.error(`nax-native prebuild: no instruction-set levels known for ${platform}-${arch}; pass them as arguments`);
  process.exit(1);
}
for (const level of levels)
  if (!Object.values(LEVELS).flat().includes(level)) {
    console.error(`nax-native prebuild: unknown level ${level}; expected one of ${Object.values(LEVELS).flat().join(', ')}`);
    process.exit(1);
  }

const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
const outDir = path.join(root, 'prebuilds', `${platform}-${arch}`);
fs.mkdirSync(outDir, { recursive: true });
const jobs = String(Math.max(1, Math.min(os.cpus().length, 4)));
for (const level of levels) {
  const buildDir = path.join(root, `build-isa-${level}`);
  const args = [cmakeJs, 'compile', '--log-level', 'warn', '-O', buildDir, '--CDNAX_ISA=' + level, '--CDNAX_CUDA=OFF', '-p', jobs];
  if (process.env.NAX_PREBUILD_CXX) args.push('--cxx', process.env.NAX_PREBUILD_CXX);
  if (arch !== os.arch()) args.push('-a', arch);
  console.log(`nax-native prebuild: ${platform}-${arch} ${level}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`nax-native prebuild: the ${level} build failed (exit ${r.status})`);
    process.exit(1);
  }
  const built = path.join(buildDir, 'Release', 'nax_native.node');
  const target = path.join(outDir, `nax_native.${level}.node`);
  fs.copyFileSync(built, target);
  if (process.env.NAX_PREBUILD_KEEP !== '1') fs.rmSync(buildDir, { recursive: true, force: true });
  console.log(`  -> ${path.relative(root, target)} (${(fs.statSync(target).size / 1024).toFixed(0)} KiB)`);
}
