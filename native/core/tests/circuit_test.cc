// Circuit solver against a dense reference written here: plain nodal analysis
// of the netlist in circuit.h (shorts merged first), Gaussian elimination with
// partial pivoting in long double, one right-hand side per driver.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "check.h"
#include "circuit.h"
#include "error.h"
#include "rng.h"

namespace {

struct Resistances {
  double wordLine, bitLine, source, sink;  // ohms
};

// M (rows x cols): current into sense ground j per volt on driver i.
std::vector<double> denseTransferMatrix(std::size_t R, std::size_t C, const Resistances& r, const std::vector<double>& G) {
  const std::size_t RC = R * C, total = 2 * RC + R + C;
  auto a = [&](std::size_t i, std::size_t j) { return i * C + j; };
  auto b = [&](std::size_t i, std::size_t j) { return RC + i * C + j; };
  auto d = [&](std::size_t i) { return 2 * RC + i; };
  auto g = [&](std::size_t j) { return 2 * RC + R + j; };
  struct Edge {
    std::size_t u, v;
    double ohms;  // 0 = short
    double siemens;
  };
  std::vector<Edge> edges;
  auto resistor = [&](std::size_t u, std::size_t v, double ohms) { edges.push_back({u, v, ohms, ohms > 0 ? 1 / ohms : 0}); };
  for (std::size_t i = 0; i < R; ++i) {
    resistor(d(i), a(i, 0), r.source);
    for (std::size_t j = 0; j < C; ++j) {
      edges.push_back({a(i, j), b(i, j), 1 / G[i * C + j], G[i * C + j]});
      if (j + 1 < C) resistor(a(i, j), a(i, j + 1), r.wordLine);
      if (i + 1 < R) resistor(b(i, j), b(i + 1, j), r.bitLine);
    }
  }
  for (std::size_t j = 0; j < C; ++j) resistor(b(R - 1, j), g(j), r.sink);

  // Merge shorted nodes.
  std::vector<std::size_t> parent(total);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const Edge& e : edges)
    if (e.ohms == 0) parent[find(e.u)] = find(e.v);

  // Classes: fixed (a driver or a ground inside) or unknown.
  std::vector<long> unknownIndex(total, -1), driverOf(total, -1);
  std::vector<char> grounded(total, 0);
  for (std::size_t i = 0; i < R; ++i) driverOf[find(d(i))] = static_cast<long>(i);
  for (std::size_t j = 0; j < C; ++j) grounded[find(g(j))] = 1;
  std::size_t n = 0;
  for (std::size_t x = 0; x < total; ++x)
    if (find(x) == x && driverOf[x] < 0 && !grounded[x]) unknownIndex[x] = static_cast<long>(n++);

  // K x = B: K over the unknowns, one right-hand side per driver (unit volt).
  std::vector<long double> K(n * n, 0), B(n * R, 0);
  for (const Edge& e : edges) {
    if (e.ohms == 0) continue;
    const std::size_t u = find(e.u), v = find(e.v);
    if (u == v) continue;
    const long u_ = unknownIndex[u], v_ = unknownIndex[v];
    const long double s = e.siemens;
    if (u_ >= 0) K[u_ * n + u_] += s;
    if (v_ >= 0) K[v_ * n + v_] += s;
    if (u_ >= 0 && v_ >= 0) {
      K[u_ * n + v_] -= s;
      K[v_ * n + u_] -= s;
    }
    if (u_ >= 0 && driverOf[v] >= 0) B[u_ * R + driverOf[v]] += s;
    if (v_ >= 0 && driverOf[u] >= 0) B[v_ * R + driverOf[u]] += s;
  }
  // Gaussian elimination with partial pivoting.
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t p = k;
    for (std::size_t i = k + 1; i < n; ++i)
      if (std::fabs(K[i * n + k]) > std::fabs(K[p * n + k])) p = i;
    if (p != k) {
      for (std::size_t j = 0; j < n; ++j) std::swap(K[k * n + j], K[p * n + j]);
      for (std::size_t j = 0; j < R; ++j) std::swap(B[k * R + j], B[p * R + j]);
    }
    for (std::size_t i = k + 1; i < n; ++i) {
      const long double f = K[i * n + k] / K[k * n + k];
      if (f == 0) continue;
      for (std::size_t j = k; j < n; ++j) K[i * n + j] -= f * K[k * n + j];
      for (std::size_t j = 0; j < R; ++j) B[i * R + j] -= f * B[k * R + j];
    }
  }
  for (std::size_t k = n; k-- > 0;) {
    for (std::size_t j = 0; j < R; ++j) {
      long double s = B[k * R + j];
      for (std::size_t q = k + 1; q < n; ++q) s -= K[k * n + q] * B[q * R + j];
      B[k * R + j] = s / K[k * n + k];
    }
  }
  // Current into ground j: sum over resistors leaving its class of s * v(other).
  auto voltage = [&](std::size_t cls, std::size_t driver) -> long double {
    if (driverOf[cls] >= 0) return driverOf[cls] == static_cast<long>(driver) ? 1 : 0;
    if (grounded[cls]) return 0;
    return B[unknownIndex[cls] * R + driver];
  };
  std::vector<double> M(R * C, 0);
  for (std::size_t j = 0; j < C; ++j) {
    const std::size_t gc = find(g(j));
    for (std::size_t i = 0; i < R; ++i) {
      long double current = 0;
      for (const Edge& e : edges) {
        if (e.ohms == 0) continue;
        const std::size_t u = find(e.u), v = find(e.v);
        if (u == v || (u != gc && v != gc)) continue;
        current += e.siemens * voltage(u == gc ? v : u, i);
      }
      M[i * C + j] = static_cast<double>(current);
    }
  }
  return M;
}

std::vector<double> randomConductances(std::size_t count, std::uint64_t seed, double gLow, double gHigh) {
  nax::Rng rng(seed);
  std::vector<double> G(count);
  for (double& x : G) x = gLow + (gHigh - gLow) * rng.uniform();
  return G;
}

nax::CircuitSpec spec(std::size_t R, std::size_t C, const Resistances& r) {
  nax::CircuitSpec s;
  s.rows = R;
  s.cols = C;
  s.rWordLine = r.wordLine;
  s.rBitLine = r.bitLine;
  s.rSource = r.source;
  s.rSink = r.sink;
  return s;
}

// Largest |got - want| relative to the largest |want| (entries of M span
// decades under IR drop; the row-wise scale is what matters for currents).
double maxRelativeError(const std::vector<double>& got, const std::vector<double>& want) {
  double scale = 0, err = 0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (std::size_t k = 0; k < want.size(); ++k) err = std::max(err, std::fabs(got[k] - want[k]));
  return err / scale;
}

const std::size_t kShapes[][2] = {{1, 1}, {1, 6}, {6, 1}, {2, 2}, {3, 4}, {5, 7}, {9, 6}, {12, 12}};

TEST_CASE("fast and banded solvers match the dense reference for every zero-resistance pattern") {
  std::uint64_t seed = 1;
  for (const auto& shape : kShapes)
    for (unsigned zeros = 0; zeros < 16; ++zeros) {
      const std::size_t R = shape[0], C = shape[1];
      const Resistances r{zeros & 1 ? 0.0 : 2.5, zeros & 2 ? 0.0 : 3.5, zeros & 4 ? 0.0 : 40.0, zeros & 8 ? 0.0 : 25.0};
      const auto G = randomConductances(R * C, seed++, 1.0 / 600e3, 1e-5);
      const auto want = denseTransferMatrix(R, C, r, G);
      std::vector<double> fast(R * C), banded(R * C);
      nax::transferMatrix(spec(R, C, r), G.data(), fast.data(), 1);
      nax::transferMatrixBanded(spec(R, C, r), G.data(), banded.data());
      const double eFast = maxRelativeError(fast, want), eBanded = maxRelativeError(banded, want);
      if (!(eFast <= 1e-12) || !(eBanded <= 1e-12))
        std::fprintf(stderr, "  %zux%zu zeros=%u: fast %.3g banded %.3g\n", R, C, zeros, eFast, eBanded);
      CHECK(eFast <= 1e-12);
      CHECK(eBanded <= 1e-12);
    }
}

TEST_CASE("all resistances zero gives M = G exactly") {
  const auto G = randomConductances(5 * 4, 7, 1e-6, 1e-4);
  std::vector<double> M(20);
  nax::transferMatrix(spec(5, 4, {0, 0, 0, 0}), G.data(), M.data());
  for (std::size_t k = 0; k < G.size(); ++k) CHECK_EQ(M[k], G[k]);
  nax::transferMatrixBanded(spec(5, 4, {0, 0, 0, 0}), G.data(), M.data());
  for (std::size_t k = 0; k < G.size(); ++k) CHECK_EQ(M[k], G[k]);
}

TEST_CASE("severe IR drop: kilo-ohm wires against 1 kOhm devices, and micro-ohm wires against megaohm devices") {
  struct Case {
    std::size_t R, C;
    Resistances r;
    double gLow, gHigh, tol;
  };
  const Case cases[] = {
      {8, 8, {1e3, 1e3, 5e3, 5e3}, 1e-4, 1e-3, 1e-12},
      {12, 5, {2e3, 0, 0, 1e4}, 1e-4, 1e-3, 1e-12},
      {6, 9, {1e-6, 1e-6, 1e-6, 1e-6}, 1e-7, 1e-6, 1e-12},
  };
  std::uint64_t seed = 100;
  for (const Case& c : cases) {
    const auto G = randomConductances(c.R * c.C, seed++, c.gLow, c.gHigh);
    const auto want = denseTransferMatrix(c.R, c.C, c.r, G);
    std::vector<double> fast(c.R * c.C);
    nax::transferMatrix(spec(c.R, c.C, c.r), G.data(), fast.data(), 1);
    CHECK(maxRelativeError(fast, want) <= c.tol);
    // The drop is real: the far corner's transfer is well below its conductance.
    if (c.r.wordLine >= 1)
      CHECK(fast[(c.R - 1) * c.C + c.C - 1] < 0.5 * G[(c.R - 1) * c.C + c.C - 1]);
  }
}

TEST_CASE("results are bit-identical for 1, 2 and 4 threads") {
  const std::size_t R = 100, C = 90;
  const Resistances r{2.82, 2.82, 10, 10};
  const auto G = randomConductances(R * C, 5, 1.0 / 600e3, 1e-5);
  std::vector<double> one(R * C), many(R * C), banded(R * C);
  nax::transferMatrix(spec(R, C, r), G.data(), one.data(), 1);
  for (int threads : {2, 4}) {
    nax::transferMatrix(spec(R, C, r), G.data(), many.data(), threads);
    CHECK(std::equal(one.begin(), one.end(), many.begin()));
  }
  nax::transferMatrixBanded(spec(R, C, r), G.data(), banded.data());
  CHECK(maxRelativeError(one, banded) <= 1e-11);
}

TEST_CASE("solveCircuit returns V . M") {
  const std::size_t R = 7, C = 5, batch = 3;
  const Resistances r{1, 2, 3, 4};
  const auto G = randomConductances(R * C, 9, 1e-6, 1e-5);
  std::vector<double> V(batch * R), I(batch * C), M(R * C);
  nax::Rng rng(3);
  for (double& v : V) v = rng.uniform() - 0.3;
  nax::solveCircuit(spec(R, C, r), G.data(), V.data(), batch, I.data(), 1);
  nax::transferMatrix(spec(R, C, r), G.data(), M.data(), 1);
  for (std::size_t s = 0; s < batch; ++s)
    for (std::size_t j = 0; j < C; ++j) {
      double want = 0, scale = 0;
      for (std::size_t i = 0; i < R; ++i) {
        want += V[s * R + i] * M[i * C + j];
        scale += std::fabs(V[s * R + i] * M[i * C + j]);
      }
      CHECK_NEAR(I[s * C + j], want, 1e-14 * scale);
    }
}

TEST_CASE("invalid input throws nax::Error with a stable code") {
  std::vector<double> G(6, 1e-5), out(6);
  CHECK_THROWS_CODE(nax::transferMatrix(spec(0, 6, {1, 1, 1, 1}), G.data(), out.data()), nax::codes::kOutOfRange);
  CHECK_THROWS_CODE(nax::transferMatrix(spec(2, 3, {-1, 1, 1, 1}), G.data(), out.data()), nax::codes::kOutOfRange);
  CHECK_THROWS_CODE(nax::transferMatrix(spec(2, 3, {NAN, 1, 1, 1}), G.data(), out.data()), nax::codes::kInvalidArgument);
  G[4] = 0;
  CHECK_THROWS_CODE(nax::transferMatrix(spec(2, 3, {1, 1, 1, 1}), G.data(), out.data()), nax::codes::kOutOfRange);
  G[4] = NAN;
  CHECK_THROWS_CODE(nax::transferMatrixBanded(spec(2, 3, {1, 1, 1, 1}), G.data(), out.data()),
                    nax::codes::kInvalidArgument);
  CHECK_THROWS_CODE(nax::transferMatrix(spec(2, 3, {1, 1, 1, 1}), nullptr, out.data()), nax::codes::kInvalidArgument);
}

}  // namespace

NAX_TEST_MAIN("circuit")
