// npm install hook: builds the native addon with cmake-js, falling back to
// node-gyp when CMake is missing. Collects every failure and prints one
// message listing the fixes, instead of a wall of compiler output.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');
const fs = require('fs');

const root = path.join(__dirname, '..');
if (process.env.NAX_SKIP_BUILD === '1') process.exit(0);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.status === 0;
}
function has(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' });
  return r.status === 0;
}

// A prebuilt binary that fits this platform and CPU (the published package
// ships them: scripts/prebuild.js) makes a compiler unnecessary. It is tried in
// a child process, so a binary that cannot load here never breaks the install.
// NAX_BUILD_FROM_SOURCE=1 builds anyway (tuned for this machine: -march=native).
function prebuiltThatLoads() {
  const cpuJs = path.join(root, 'dist', 'cpu.js');
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(cpuJs) || !fs.existsSync(dir)) return null;
  const { supportedIsaLevels } = require(cpuJs);
  for (const level of supportedIsaLevels(process.arch)) {
    const file = path.join(dir, `nax_native.${level}.node`);
    if (!fs.existsSync(file)) continue;
    const probe = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(file)}); if (typeof a.version !== 'function') process.exit(3);`], { stdio: 'ignore' });
    if (probe.status === 0) return file;
  }
  return null;
}
if (process.env.NAX_BUILD_FROM_SOURCE !== '1') {
  const prebuilt = prebuiltThatLoads();
  if (prebuilt) {
    console.log(`nax-native: using the prebuilt addon ${path.relative(root, prebuilt)} (no compiler needed; NAX_BUILD_FROM_SOURCE=1 builds one tuned for this machine)`);
    process.exit(0);
  }
}

const failures = [];
// cmake-js is a dependency: in a consumer's project npm may hoist it next to
// this package instead of inside it, so resolve it like require() does.
let cmakeJs = null;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
} catch {
  cmakeJs = null;
}
if (has('cmake') && cmakeJs) {
  if (run(process.execPath, [cmakeJs, 'compile', '--log-level', 'warn'])) process.exit(0);
  failures.push('cmake-js compile failed (see the compiler output above)');
} else {
  failures.push('cmake (>= 3.15) was not found on PATH, or cmake-js is not installed');
}
let nodeGyp = null;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  const npmGyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(npmGyp)) nodeGyp = npmGyp;
}
if (nodeGyp) {
  // Use installed Node headers when present so nothing is downloaded.
  const args = [nodeGyp, 'rebuild'];
  const nodedir = process.env.npm_config_nodedir;
  if (nodedir && nodedir !== 'undefined') args.push(`--nodedir=${nodedir}`);
  else if (fs.existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
  if (run(process.execPath, args)) process.exit(0);
  failures.push('node-gyp rebuild failed (see the compiler output above)');
} else {
  failures.push('node-gyp was not found');
}
console.error(
  [
    'nax-native: could not build the native addon.',
    ...failures.map((f) => '  - ' + f),
    'To fix: install a C++17 compiler and CMake (Debian/Ubuntu: apt-get install g++ cmake;',
    'macOS: xcode-select --install && brew install cmake; Windows: Visual Studio Build Tools + CMake),',
    'then run `npm rebuild nax-native` (or `npm run build` inside the package).',
  ].join('\n'),
);
process.exit(1);
