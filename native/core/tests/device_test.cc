// The device model (device_model.h) and the nonlinear circuit solve
// (circuit.h solveCircuitNonlinear) on their own, under the sanitizers:
// closed forms, clipping, interpolation, argument checks. The statistical
// checks against the published curves are in test/crossbar/devices.test.ts,
// the ngspice conformance in test/circuit/nonlinear.test.ts.
#include <cmath>
#include <vector>

#include "check.h"
#include "circuit.h"
#include "device_model.h"
#include "error.h"

namespace {

// A two-time model: sigma = 1 uS at t = 1 s, 3 uS at t = 100 s (constant polynomials).
nax::DeviceModel twoTimes() {
  nax::DeviceModel d;
  d.enabled = true;
  d.programTimes = {1, 100};
  d.programCoefficients = {{1e-6}, {3e-6}};
  return d;
}

TEST_CASE("programming sigma interpolates linearly in ln t and holds at the ends") {
  const nax::DeviceModel d = twoTimes();
  CHECK_NEAR(nax::programmingSigma(d, 0.5, 0), 1e-6, 1e-20);
  CHECK_NEAR(nax::programmingSigma(d, 0.5, 10), 2e-6, 1e-18);  // ln 10 is halfway to ln 100
  CHECK_NEAR(nax::programmingSigma(d, 0.5, 1e6), 3e-6, 1e-20);
  nax::DeviceModel poly;
  poly.enabled = true;
  poly.programTimes = {1};
  poly.programCoefficients = {{1e-6, -4e-6}};  // max(0, 1 - 4 g) uS
  CHECK_NEAR(nax::programmingSigma(poly, 0.1, 0), 0.6e-6, 1e-20);
  CHECK_EQ(nax::programmingSigma(poly, 0.5, 0), 0.0);
}

TEST_CASE("draws stay in [gMin, gMax], the same device deviates the same way later") {
  const nax::DeviceModel d = twoTimes();
  int clippedLow = 0;
  for (std::uint64_t cell = 0; cell < 2000; ++cell) {
    const nax::DeviceDraw a = nax::drawDevice(d, 1e-6, 10e-6, 1.5e-6, 7, 0, cell);
    CHECK(a.programmed >= 1e-6 && a.programmed <= 10e-6);
    clippedLow += a.programmed == 1e-6;
    const nax::DeviceDraw b = nax::drawDevice(d, 1e-6, 10e-6, 5e-6, 7, 0, cell);
    nax::DeviceModel later = d;
    later.time = 100;
    const nax::DeviceDraw c = nax::drawDevice(later, 1e-6, 10e-6, 5e-6, 7, 0, cell);
    CHECK_EQ(b.programmed, c.programmed);  // the reference does not depend on time
    if (c.atTime > 1e-6 && c.atTime < 10e-6) CHECK_NEAR(c.atTime - 5e-6, 3 * (b.programmed - 5e-6), 1e-18);
  }
  CHECK(clippedLow > 500 && clippedLow < 1000);  // P(z < -0.5) = 0.31
}

TEST_CASE("drift without spread is the power law exactly") {
  nax::DeviceModel d;
  d.enabled = true;
  d.programTimes = {1};
  d.programCoefficients = {{0.0}};
  d.drift = true;
  d.t0 = 20;
  d.nuMean = {0, 0.05, 0, 1};
  d.nuStd = {0, 0, 0, 0};
  d.time = 1e5 - 20;
  const nax::DeviceDraw r = nax::drawDevice(d, 1e-7, 25e-6, 10e-6, 1, 2, 3);
  CHECK_EQ(r.programmed, 10e-6);
  CHECK_NEAR(r.atTime, 10e-6 * std::pow(1e5 / 20, -0.05), 1e-18);
}

TEST_CASE("validation names the device field") {
  nax::DeviceModel d = twoTimes();
  d.programTimes = {2, 1};
  CHECK_THROWS_CODE(nax::validateDeviceModel(d, 1e-6, 1e-5), nax::codes::kOutOfRange);
  d = twoTimes();
  d.programCoefficients.pop_back();
  CHECK_THROWS_CODE(nax::validateDeviceModel(d, 1e-6, 1e-5), nax::codes::kConfig);
  d = twoTimes();
  d.readNoise1f = true;
  d.tRead = 1e-7;
  CHECK_THROWS_CODE(nax::validateDeviceModel(d, 1e-6, 1e-5), nax::codes::kOutOfRange);  // needs drift
  d = twoTimes();
  d.alpha = -1;
  CHECK_THROWS_CODE(nax::validateDeviceModel(d, 1e-6, 1e-5), nax::codes::kOutOfRange);
  CHECK_THROWS_CODE(nax::validateDeviceModel(twoTimes(), 1e-5, 1e-6), nax::codes::kOutOfRange);
}

TEST_CASE("nonlinear current factor: sinh(x)/x, its series near 0") {
  CHECK_EQ(nax::nonlinearCurrentFactor(0, 0.3), 1.0);
  CHECK_NEAR(nax::nonlinearCurrentFactor(3, 0.25), std::sinh(0.75) / 0.75, 1e-15);
  CHECK_NEAR(nax::nonlinearCurrentFactor(3, 1e-7), 1.0, 1e-12);
}

TEST_CASE("nonlinear solve: shorted wires give the closed form, tiny alpha the linear solve") {
  nax::CircuitSpec spec;
  spec.rows = 5;
  spec.cols = 4;
  std::vector<double> G(20), V = {0.1, 0.2, 0.3, 0.05, 0.25}, I(4), ref(4);
  for (std::size_t k = 0; k < G.size(); ++k) G[k] = 1e-6 * (1 + k % 7);
  nax::solveCircuitNonlinear(spec, G.data(), 4, V.data(), 1, I.data(), 1);
  for (std::size_t j = 0; j < 4; ++j) {
    double want = 0;
    for (std::size_t i = 0; i < 5; ++i) want += G[i * 4 + j] * std::sinh(4 * V[i]) / 4;
    CHECK_NEAR(I[j], want, 1e-13 * want);
  }
  spec.rWordLine = 30;
  spec.rBitLine = 50;
  spec.rSource = 10;
  spec.rSink = 20;
  nax::solveCircuitNonlinear(spec, G.data(), 1e-6, V.data(), 1, I.data(), 2);
  nax::solveCircuit(spec, G.data(), V.data(), 1, ref.data(), 1);
  for (std::size_t j = 0; j < 4; ++j) CHECK_NEAR(I[j], ref[j], 1e-10 * std::fabs(ref[j]));
  CHECK_THROWS_CODE(nax::solveCircuitNonlinear(spec, G.data(), 0, V.data(), 1, I.data(), 1), nax::codes::kOutOfRange);
}

}  // namespace

NAX_TEST_MAIN("device")
