// Random numbers: the same seed gives the same stream, draws are pure
// functions of their keys, and everything random in the crossbar engine
// (variation, stuck cells, read noise) is independent of the thread count
// and of how a batch is split into calls.
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "crossbar.h"
#include "rng.h"

namespace {

TEST_CASE("the same seed gives the same stream; different seeds differ") {
  nax::Rng a(42), b(42), c(43);
  std::size_t differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t x = a.next(), y = b.next(), z = c.next();
    CHECK_EQ(x, y);
    differ += x != z;
  }
  CHECK(differ > 990);
  nax::Rng u(7), v(7);
  for (int i = 0; i < 100; ++i) {
    CHECK_EQ(u.uniform(), v.uniform());
    CHECK_EQ(u.normal(), v.normal());
  }
}

TEST_CASE("counter-based draws are pure functions of (seed, stream, counter)") {
  CHECK_EQ(nax::hashKey(1, 2, 3, 4), nax::hashKey(1, 2, 3, 4));
  CHECK(nax::hashKey(1, 2, 3, 4) != nax::hashKey(1, 2, 4, 3));
  CHECK(nax::hashKey(1, 2, 3, 4) != nax::hashKey(2, 2, 3, 4));
  // Drawing in any order gives the same values.
  std::vector<double> forward(64), backward(64);
  for (int i = 0; i < 64; ++i) forward[i] = nax::standardNormal(nax::hashKey(9, 1, i));
  for (int i = 63; i >= 0; --i) backward[i] = nax::standardNormal(nax::hashKey(9, 1, i));
  CHECK(forward == backward);
}

TEST_CASE("uniforms lie in (0, 1] and normals have mean 0 and variance 1") {
  nax::Rng rng(5);
  double sum = 0, sumSq = 0, minU = 1, maxU = 0;
  const int count = 200000;
  for (int i = 0; i < count; ++i) {
    const double u = rng.uniform();
    minU = std::min(minU, u);
    maxU = std::max(maxU, u);
    const double z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  CHECK(minU > 0);
  CHECK(maxU < 1);
  const double mean = sum / count, variance = sumSq / count - mean * mean;
  CHECK_NEAR(mean, 0, 0.01);      // 4.5 standard errors
  CHECK_NEAR(variance, 1, 0.015);
  CHECK(nax::uniformOpen(0) > 0);
  CHECK(nax::uniformOpen(~std::uint64_t{0}) <= 1);  // == 1 for this one key (rng.h)
  CHECK(nax::uniformOpen(~std::uint64_t{0} << 11 >> 1) < 1);
}

nax::CrossbarConfig noisyConfig(int threads) {
  nax::CrossbarConfig c;
  c.rows = 32;
  c.cols = 16;
  c.bitsPerCell = 2;
  c.weightBits = 8;
  c.inputBits = 6;
  c.dacBits = 2;
  c.adcBits = 7;
  c.adcCalibrated = false;
  c.gOn = 1e-5;
  c.gOff = 1.0 / 600e3;
  c.vRead = 0.25;
  c.parasitics = true;
  c.rWordLine = 2.82;
  c.rBitLine = 2.82;
  c.rSource = 5;
  c.rSink = 5;
  c.variation = nax::VariationKind::kLognormal;
  c.variationSigma = 0.1;
  c.stuckAtOn = 0.01;
  c.stuckAtOff = 0.02;
  c.readNoise = 0.7;
  c.perChannel = true;
  c.inputScale = 1.0;
  c.seed = 1234;
  c.threads = threads;
  c.ideal = false;
  return c;
}

TEST_CASE("programming and runs with every random effect are independent of threads and batch split") {
  const std::size_t k = 70, n = 20, batch = 9;
  nax::Rng rng(11);
  std::vector<float> w(k * n), x(batch * k);
  for (float& v : w) v = static_cast<float>(2 * rng.uniform() - 1);
  for (float& v : x) v = static_cast<float>(2 * rng.uniform() - 1);

  nax::CrossbarLayer one(w.data(), k, n, noisyConfig(1));
  std::vector<float> outOne(batch * n);
  one.run(x.data(), batch, outOne.data());
  for (int threads : {2, 4}) {
    nax::CrossbarLayer many(w.data(), k, n, noisyConfig(threads));
    CHECK(many.effectiveMatrix() == one.effectiveMatrix());
    std::vector<float> out(batch * n);
    many.run(x.data(), batch, out.data());
    CHECK(out == outOne);
  }
  // Read noise is keyed by (tile, sample index in the layer's run sequence, pass,
  // cycle), not by how samples are chunked over threads or split into calls: a
  // fresh layer running the same samples in pieces gives the same outputs.
  for (std::size_t head : {1, 2, 5}) {
    nax::CrossbarLayer fresh(w.data(), k, n, noisyConfig(2));
    std::vector<float> out(batch * n);
    fresh.run(x.data(), head, out.data());
    fresh.run(x.data() + head * k, batch - head, out.data() + head * n);
    CHECK(out == outOne);
  }
  // Every read draws fresh noise: running the same inputs again on the same
  // layer gives different outputs, and a new layer with the same seed repeats
  // the sequence bit for bit.
  {
    std::vector<float> again(batch * n);
    one.run(x.data(), batch, again.data());
    CHECK(again != outOne);
    nax::CrossbarLayer replay(w.data(), k, n, noisyConfig(4));
    std::vector<float> first(batch * n), second(batch * n);
    replay.run(x.data(), batch, first.data());
    replay.run(x.data(), batch, second.data());
    CHECK(first == outOne);
    CHECK(second == again);
  }
  // Read noise is on: two different seeds give different outputs.
  nax::CrossbarConfig other = noisyConfig(1);
  other.seed = 99;
  nax::CrossbarLayer reseeded(w.data(), k, n, other);
  std::vector<float> outOther(batch * n);
  reseeded.run(x.data(), batch, outOther.data());
  CHECK(outOther != outOne);
}

// Every readout, both noise models and ADC errors: the same independence of threads and batch
// split (and, under the sanitizers, the new paths' memory accesses).
TEST_CASE("readouts, device noise and ADC errors are independent of threads and batch split") {
  const std::size_t k = 45, n = 21, batch = 7;
  nax::Rng rng(12);
  std::vector<float> w(k * n), x(batch * k);
  for (float& v : w) v = static_cast<float>(2 * rng.uniform() - 1);
  for (float& v : x) v = static_cast<float>(2 * rng.uniform() - 1);
  for (int readout = 0; readout < 3; ++readout)
    for (int variant = 0; variant < 4; ++variant) {
      auto config = [&](int threads) {
        nax::CrossbarConfig c = noisyConfig(threads);
        c.readout = static_cast<nax::Readout>(readout);
        if (variant == 1) {
          c.readNoiseModel = nax::ReadNoiseModel::kDevice;
          c.readNoise = 0.05;
        }
        if (variant == 3) {  // calibrated per ADC, latched by the first run
          c.adcCalibrated = true;
          c.adcRangeScope = 2;
        }
        if (variant == 2) {
          c.adcOffsetSigma = 0.5;
          c.adcGainSigma = 0.02;
          c.adcInlSigma = 0.3;
        }
        return c;
      };
      nax::CrossbarLayer one(w.data(), k, n, config(1));
      std::vector<float> outOne(batch * n);
      one.run(x.data(), batch, outOne.data());
      for (int threads : {2, 4}) {
        nax::CrossbarLayer many(w.data(), k, n, config(threads));
        std::vector<float> out(batch * n);
        if (variant == 3) {  // the latch needs the same first batch
          many.run(x.data(), batch, out.data());
        } else {
          many.run(x.data(), 3, out.data());
          many.run(x.data() + 3 * k, batch - 3, out.data() + 3 * n);
        }
        CHECK(out == outOne);
      }
      // One cycle's analog currents of the last array, in amperes: positive, below every cell at gOn.
      std::vector<double> digits(32, 3.0), currents(one.physicalCols());
      one.columnCurrents(one.geometry().arrays - 1, digits.data(), currents.data());
      for (double current : currents) CHECK(current > 0 && current < 32 * 0.25 * 1e-5 * 1.5);
    }
}

}  // namespace

NAX_TEST_MAIN("rng")
