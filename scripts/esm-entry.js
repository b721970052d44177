// Writes the ESM entry (dist/index.mjs) and its types next to the CommonJS
// build, so `import` and `require` share one implementation and one addon.
'use strict';
const fs = require('fs');
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const cjs = require(path.join(dist, 'index.js'));
const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule');
const lines = [
  "import { createRequire } from 'node:module';",
  'const require = createRequire(import.meta.url);',
  "const cjs = require('./index.js');",
  ...names.map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
fs.writeFileSync(path.join(dist, 'index.d.mts'), "export * from './index.js';\n");
// The CLI is run through npx in the repository itself: make it executable.
const cliMain = path.join(dist, 'cli', 'main.js');
if (fs.existsSync(cliMain)) fs.chmodSync(cliMain, 0o755);
