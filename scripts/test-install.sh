#!/usr/bin/env bash
# Installs the package the way a user does and checks it works without a
# compiler: builds the prebuilt addons (scripts/prebuild.js), packs the
# tarball, installs it into a fresh project with a PATH that has node and npm
# but no cc/c++/g++/cmake/make, and without ONNXRUNTIME_NODE_INSTALL (so
# onnxruntime-node's CUDA download fails offline and npm leaves the optional
# dependency out), then runs the installed CLI and library. Finally every
# prebuilt level this CPU runs computes the same fixed workload, and the script
# reports whether the results agree bit for bit.
#   scripts/test-install.sh            # all levels for this platform
#   NAX_PREBUILD_LEVELS="x86-64 x86-64-v3" scripts/test-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== prebuilt addons"
if [ "${NAX_TEST_INSTALL_REUSE:-0}" = "1" ] && [ -d prebuilds ]; then
  echo "(reusing prebuilds/)"
else
  rm -rf prebuilds
  # shellcheck disable=SC2086
  node scripts/prebuild.js ${NAX_PREBUILD_LEVELS:-}
fi
ls -l prebuilds/*/

echo "== npm pack"
tarball=$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)
tarball="$work/$tarball"
listing=$(tar -tzf "$tarball")
grep -q 'package/prebuilds/' <<<"$listing" || { echo "the tarball has no prebuilds/"; exit 1; }
echo "$tarball ($(du -h "$tarball" | cut -f1))"

echo "== install into a fresh project, no compilers on PATH"
bin="$work/bin"
mkdir -p "$bin"
for tool in node npm npx sh bash env cat ls mkdir rm cp mv ln chmod sed grep uname tar gzip head tail dirname basename readlink; do
  p=$(command -v "$tool" || true)
  [ -n "$p" ] && ln -s "$p" "$bin/$tool"
done
for tool in cc c++ g++ gcc cmake make clang; do
  if PATH="$bin" command -v "$tool" >/dev/null 2>&1; then echo "PATH still has $tool"; exit 1; fi
done
proj="$work/project"
mkdir -p "$proj"
cd "$proj"
echo '{"name":"nax-native-consumer","version":"1.0.0","private":true}' > package.json
env -u ONNXRUNTIME_NODE_INSTALL -u npm_config_onnxruntime_node_install PATH="$bin" \
  npm install --no-audit --no-fund --loglevel=error "$tarball" 2>&1 | tail -20
test -d node_modules/nax-native || { echo "nax-native was not installed"; exit 1; }
test ! -d node_modules/nax-native/build || { echo "the install built from source although a prebuilt binary fits"; exit 1; }

echo "== the installed CLI and library"
PATH="$bin" npx --no-install nax-native info --json | tee "$work/info.json"
node -e '
const info = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (info.addonKind !== "prebuilt") throw new Error("expected the prebuilt addon, got " + info.addonKind);
if (info.isa !== info.cpuLevel) throw new Error("expected the best level for this CPU (" + info.cpuLevel + "), loaded " + info.isa);
' "$work/info.json"
PATH="$bin" node -e '
const nax = require("nax-native");
(async () => {
  const k = 96, n = 40, batch = 8;
  const w = new Float32Array(k * n).map((_, i) => Math.sin(i * 0.37));
  const x = new Float32Array(batch * k).map((_, i) => Math.cos(i * 0.11));
  const layer = await nax.CrossbarLayer.program({ weights: w, k, n, config: { rows: 32, cols: 32, parasitics: true, readNoise: 0.5, seed: 3 } });
  const y = await layer.run(x, batch);
  if (y.length !== batch * n || !y.every(Number.isFinite)) throw new Error("bad crossbar output");
  console.log("crossbar run from the installed package: ok (" + y.length + " outputs)");
  let missing = null;
  try { require.resolve("onnxruntime-node"); } catch { missing = "left out (optional; its download failed offline)"; }
  console.log("onnxruntime-node: " + (missing ?? "installed"));
})().catch((e) => { console.error(e); process.exit(1); });
'
cd "$root"

echo "== prebuilt levels on this CPU: same workload"
node scripts/compare-prebuilt.js
echo "install without a compiler: ok"
