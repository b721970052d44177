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

const failures = [];
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
if (has('cmake') && fs.existsSync(cmakeJs)) {
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
