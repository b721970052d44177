// Reference solver: the grounded nodal system K x = b of the merged graph
// (circuit_graph.h) with the terminals as Dirichlet nodes, a banded Cholesky
// factorisation and one right-hand side per word line. Simple, O(R*C^3): the
// benchmark baseline and a second oracle in the tests. Its layout and
// factorisation are shared with the nonlinear solve (circuit_nonlinear.cc).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "circuit.h"
#include "circuit_graph.h"
#include "error.h"
#include "format.h"

namespace nax {

using namespace circuit_detail;

namespace circuit_detail {

// The banded layout of the unknown (non-terminal) merged nodes. Ordered
// row-major (a(i,*) then b(i,*) per word line; half-bandwidth ~2C), or
// column-major when the bit lines are shorted (a shorted bit line would
// otherwise span the whole band).
BandedLayout bandedLayout(const Graph& gr) {
  const std::size_t R = gr.R, C = gr.C;
  const bool colMajor = gr.shortB && !gr.shortW;
  const std::size_t raw = 2 * R * C;
  BandedLayout L;
  // Position of each internal merged node: the smallest base position of its members.
  std::vector<std::size_t> first(gr.n, SIZE_MAX);
  for (std::size_t x = 0; x < raw; ++x) {
    const bool isA = x < R * C;
    const std::size_t cell = isA ? x : x - R * C;
    const std::size_t i = cell / C, j = cell % C;
    const std::size_t base = colMajor ? j * 2 * R + (isA ? R : 0) + i : i * 2 * C + (isA ? 0 : C) + j;
    const int r = gr.rep[x];
    if (gr.kind[r] == 0) first[r] = std::min(first[r], base);
  }
  std::vector<int> order;
  for (int r = 0; r < gr.n; ++r)
    if (gr.kind[r] == 0) order.push_back(r);
  std::sort(order.begin(), order.end(), [&](int x, int y) { return first[x] < first[y]; });
  L.idx.assign(gr.n, -1);
  for (std::size_t k = 0; k < order.size(); ++k) L.idx[order[k]] = static_cast<long>(k);
  L.n = order.size();
  // Terminal index: driver i or ground j of each terminal merged node.
  L.drv.assign(gr.n, -1);
  L.gnd.assign(gr.n, -1);
  for (std::size_t i = 0; i < R; ++i) L.drv[gr.d(i)] = static_cast<long>(i);
  for (std::size_t j = 0; j < C; ++j) L.gnd[gr.g(j)] = static_cast<long>(j);
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < C; ++j)
      forEachCellEdgeId(gr, i, j, [&](int u, int v, int) {
        if (L.idx[u] >= 0 && L.idx[v] >= 0) L.bw = std::max<std::size_t>(L.bw, std::labs(L.idx[u] - L.idx[v]));
      });
  return L;
}

void bandedCholesky(std::vector<double>& A, std::size_t n, std::size_t bw) {
  const std::size_t w = bw + 1;
  auto at = [&](std::size_t i, std::size_t k) -> double& { return A[i * w + (k + bw - i)]; };
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i > bw ? i - bw : 0;
    for (std::size_t j = lo; j <= i; ++j) {
      const std::size_t klo = std::max(lo, j > bw ? j - bw : 0);
      double s = at(i, j);
      const double* li = &A[i * w + (klo + bw - i)];
      const double* lj = &A[j * w + (klo + bw - j)];
      for (std::size_t k = 0; k < j - klo; ++k) s -= li[k] * lj[k];
      if (j == i) {
        if (!(s > 0)) throw Error(codes::kNumerical, "banded circuit solve: non-positive pivot " + formatNumber(s));
        at(i, i) = std::sqrt(s);
      } else {
        at(i, j) = s / at(j, j);
      }
    }
  }
}

void bandedSolve(const std::vector<double>& A, std::size_t n, std::size_t bw, double* B, std::size_t nrhs) {
  const std::size_t w = bw + 1;
  auto at = [&](std::size_t i, std::size_t k) { return A[i * w + (k + bw - i)]; };
  for (std::size_t i = 0; i < n; ++i) {
    double* bi = &B[i * nrhs];
    const std::size_t lo = i > bw ? i - bw : 0;
    for (std::size_t k = lo; k < i; ++k) {
      const double l = at(i, k);
      if (l == 0) continue;
      const double* bk = &B[k * nrhs];
      for (std::size_t r = 0; r < nrhs; ++r) bi[r] -= l * bk[r];
    }
    const double inv = 1.0 / at(i, i);
    for (std::size_t r = 0; r < nrhs; ++r) bi[r] *= inv;
  }
  for (std::size_t ii = n; ii-- > 0;) {
    double* bi = &B[ii * nrhs];
    const std::size_t hi = std::min(n, ii + bw + 1);
    for (std::size_t k = ii + 1; k < hi; ++k) {
      const double l = at(k, ii);
      if (l == 0) continue;
      const double* bk = &B[k * nrhs];
      for (std::size_t r = 0; r < nrhs; ++r) bi[r] -= l * bk[r];
    }
    const double inv = 1.0 / at(ii, ii);
    for (std::size_t r = 0; r < nrhs; ++r) bi[r] *= inv;
  }
}

}  // namespace circuit_detail

// Banded baseline: one right-hand side per word line (a unit voltage on its driver).
void transferMatrixBanded(const CircuitSpec& spec, const double* conductances, double* out) {
  validateCircuit(spec, conductances);
  requireOutput(out, "out");
  const std::size_t R = spec.rows, C = spec.cols;
  Graph gr = buildGraph(spec);
  const BandedLayout L = bandedLayout(gr);
  const std::size_t n = L.n, bw = L.bw, w = bw + 1;
  const auto& idx = L.idx;
  const auto& drv = L.drv;
  const auto& gnd = L.gnd;

  std::fill(out, out + R * C, 0.0);
  std::vector<double> A(n * w, 0.0), B(n * R, 0.0);  // row storage: L(i, k) at i*w + (k - i + bw), k in [i-bw, i]
  auto at = [&](std::size_t i, std::size_t k) -> double& { return A[i * w + (k + bw - i)]; };
  // Currents from edges between terminals and unknowns, read after the solve.
  struct Sense {
    long u;
    std::size_t j;
    double g;
  };
  std::vector<Sense> sense;
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < C; ++j)
      forEachCellEdge(gr, conductances, i, j, [&](int u, int v, double g) {
        const long iu = idx[u], iv = idx[v];
        if (iu >= 0 && iv >= 0) {
          at(iu, iu) += g;
          at(iv, iv) += g;
          if (iu > iv) at(iu, iv) -= g;
          else at(iv, iu) -= g;
          return;
        }
        if (iu < 0 && iv < 0) {  // terminal to terminal: a direct path V_i -> ground j
          if (drv[u] >= 0 && gnd[v] >= 0) out[drv[u] * C + gnd[v]] += g;
          else if (drv[v] >= 0 && gnd[u] >= 0) out[drv[v] * C + gnd[u]] += g;
          return;
        }
        const long x = iu >= 0 ? iu : iv;
        const int t = iu >= 0 ? v : u;
        at(x, x) += g;
        if (drv[t] >= 0) B[x * R + drv[t]] += g;  // unit voltage on driver drv[t]
        else sense.push_back({x, static_cast<std::size_t>(gnd[t]), g});
      });
  bandedCholesky(A, n, bw);
  bandedSolve(A, n, bw, B.data(), R);
  // Current into ground j from driver i = sum over sense edges g * v_u.
  for (const Sense& s : sense)
    for (std::size_t i = 0; i < R; ++i) out[i * C + s.j] += s.g * B[s.u * R + i];
}

}  // namespace nax
