// libFuzzer target: crossbar programming and runs with arbitrary configs
// (every field, in and out of range), weights and inputs (NaN and Inf
// included). Invalid input must end in nax::Error; a crash or sanitizer report
// is a bug. See fuzz_circuit.cc.
#include <cstdint>
#include <vector>

#include "crossbar.h"
#include "error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nax_fuzz::Input in(data, size);
  nax::CrossbarConfig c;
  c.rows = in.range(-1, 40);
  c.cols = in.range(-1, 40);
  c.bitsPerCell = in.range(0, 9);
  c.weightBits = in.range(1, 17);
  c.inputBits = in.range(0, 17);
  c.dacBits = in.range(0, 9);
  c.adcBits = in.range(0, 25);
  c.adcCalibrated = in.byte() & 1;
  c.gOn = in.value(1e-5);
  c.gOff = in.value(1.6e-6);
  c.vRead = in.value(0.25);
  c.parasitics = in.byte() & 1;
  c.rWordLine = in.value(2.82);
  c.rBitLine = in.value(2.82);
  c.rSource = in.byte() < 200 ? 0.0 : in.value(10);
  c.rSink = in.byte() < 200 ? 0.0 : in.value(10);
  c.variation = static_cast<nax::VariationKind>(in.range(0, 2));
  c.variationSigma = in.value(0.1);
  c.stuckAtOn = in.byte() < 200 ? 0.0 : in.value(0.01);
  c.stuckAtOff = in.byte() < 200 ? 0.0 : in.value(0.01);
  c.readNoise = in.byte() < 128 ? 0.0 : in.value(0.5);
  c.perChannel = in.byte() & 1;
  c.inputScale = in.byte() < 128 ? 0.0 : in.value(1);
  c.seed = in.u64();
  c.threads = in.range(1, 3);
  c.ideal = (in.byte() & 7) == 0;
  const std::size_t k = static_cast<std::size_t>(in.range(1, 70)), n = static_cast<std::size_t>(in.range(1, 40));
  const std::size_t batch = static_cast<std::size_t>(in.range(0, 5));
  std::vector<float> w(k * n), x(batch * k), y(batch * n);
  for (auto& v : w) v = static_cast<float>(in.value(0.3) - 0.6);
  for (auto& v : x) v = static_cast<float>(in.value(0.5) - 0.8);
  try {
    nax::CrossbarLayer layer(w.data(), k, n, c);
    layer.run(x.data(), batch, y.data());
    layer.run(x.data(), batch, y.data());
  } catch (const nax::Error&) {
  }
  return 0;
}
