// libFuzzer target: the parasitic circuit solver on arbitrary sizes,
// resistances (zero, negative, NaN) and conductances. Invalid input must end in
// nax::Error; anything else (a crash, a sanitizer report, another exception)
// is a bug. Build: scripts/fuzz-core.sh; the corpus is replayed by the core
// tests (scripts/core-tests.sh).
#include <cmath>
#include <cstdint>
#include <vector>

#include "circuit.h"
#include "error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nax_fuzz::Input in(data, size);
  nax::CircuitSpec spec;
  spec.rows = static_cast<std::size_t>(in.range(0, 24));
  spec.cols = static_cast<std::size_t>(in.range(0, 24));
  spec.rWordLine = in.value(2.82);
  spec.rBitLine = in.value(2.82);
  spec.rSource = in.byte() < 128 ? 0.0 : in.value(50);
  spec.rSink = in.byte() < 128 ? 0.0 : in.value(50);
  const std::size_t cells = spec.rows * spec.cols;
  std::vector<double> g(cells), out(cells), v(spec.rows * 2), i(spec.cols * 2);
  for (auto& x : g) x = in.value(5e-6);
  for (auto& x : v) x = in.value(0.25);
  const int threads = in.range(0, 3);
  try {
    nax::validateCircuit(spec, g.data());
    if (in.byte() & 1)
      nax::transferMatrixBanded(spec, g.data(), out.data());
    else
      nax::transferMatrix(spec, g.data(), out.data(), threads);
    nax::solveCircuit(spec, g.data(), v.data(), 2, i.data(), threads);
  } catch (const nax::Error&) {
  }
  return 0;
}
