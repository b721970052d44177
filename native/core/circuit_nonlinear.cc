// Exact DC solve of a crossbar whose devices follow I = G sinh(alpha V) / alpha
// (circuit.h): Newton on the nodal equations of the merged graph
// (circuit_graph.h), with the banded layout and Cholesky of the reference
// solver (circuit_banded.cc). The Jacobian of the nodal currents is the
// Laplacian of the tangent conductances (wires: 1/r; devices: G cosh(alpha V)
// > 0), so every step is a symmetric positive definite solve.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "circuit.h"
#include "circuit_graph.h"
#include "error.h"
#include "format.h"
#include "parallel.h"

namespace nax {

using namespace circuit_detail;

namespace {

constexpr int kMaxSteps = 100;

}  // namespace

int solveCircuitNonlinear(const CircuitSpec& spec, const double* conductances, double alpha, const double* voltages,
                          std::size_t batch, double* currents, int threads) {
  validateCircuit(spec, conductances);
  if (!(std::isfinite(alpha) && alpha > 0 && alpha <= 100))
    throw Error(codes::kOutOfRange, "expected a number in (0, 100] (1/V) for nonlinearity.alpha, got " + formatNumber(alpha));
  if (batch > 0 && (!voltages || !currents))
    throw Error(codes::kInvalidArgument, "expected voltages and currents buffers, got null");
  const std::size_t R = spec.rows, C = spec.cols;
  for (std::size_t k = 0; k < batch * R; ++k)
    if (!std::isfinite(voltages[k]))
      throw Error(codes::kInvalidArgument,
                  "expected a finite number (volts) for voltages[" + std::to_string(k) + "], got " + formatNumber(voltages[k]));
  const Graph gr = buildGraph(spec);
  const BandedLayout L = bandedLayout(gr);
  const std::size_t n = L.n, bw = L.bw, w = bw + 1;
  const double table[4] = {gr.gW, gr.gB, gr.gS, gr.gK};
  std::atomic<int> mostSteps{0};

  parallelFor(batch, threads, [&](std::size_t b0, std::size_t b1, int) {
    std::vector<double> A(n * w), rhs(n), x(n, 0.0), nodeV(gr.n);
    for (std::size_t b = b0; b < b1; ++b) {
      const double* V = voltages + b * R;
      double vScale = 0;
      for (std::size_t i = 0; i < R; ++i) vScale = std::max(vScale, std::fabs(V[i]));
      // Voltage of any merged node under the current unknowns.
      auto volt = [&](int u) -> double {
        if (L.idx[u] >= 0) return x[L.idx[u]];
        if (L.drv[u] >= 0) return V[L.drv[u]];
        return 0.0;  // sense ground (virtual ground)
      };
      // Current from u to v through an edge, and its derivative with respect to V(u) - V(v).
      auto edgeCurrent = [&](int src, double dv, double* slope) {
        if (src < 0) {
          const double g = table[-src - 1];
          *slope = g;
          return g * dv;
        }
        const double G = conductances[src];
        *slope = G * std::cosh(alpha * dv);
        return G * std::sinh(alpha * dv) / alpha;
      };
      std::fill(x.begin(), x.end(), 0.0);
      int step = 0;
      for (;; ++step) {
        if (step == kMaxSteps)
          throw Error(codes::kNumerical, "nonlinear circuit solve: Newton did not converge in " + std::to_string(kMaxSteps) +
                                             " steps for voltages vector " + std::to_string(b));
        // Newton step: J dx = -F(x), F = the current leaving each unknown node.
        std::fill(A.begin(), A.end(), 0.0);
        std::fill(rhs.begin(), rhs.end(), 0.0);
        auto at = [&](std::size_t i, std::size_t k) -> double& { return A[i * w + (k + bw - i)]; };
        for (std::size_t i = 0; i < R; ++i)
          for (std::size_t j = 0; j < C; ++j)
            forEachCellEdgeId(gr, i, j, [&](int u, int v, int src) {
              const long iu = L.idx[u], iv = L.idx[v];
              if (iu < 0 && iv < 0) return;
              double g;
              const double current = edgeCurrent(src, volt(u) - volt(v), &g);
              if (iu >= 0) {
                at(iu, iu) += g;
                rhs[iu] -= current;
              }
              if (iv >= 0) {
                at(iv, iv) += g;
                rhs[iv] += current;
              }
              if (iu >= 0 && iv >= 0) {
                if (iu > iv) at(iu, iv) -= g;
                else at(iv, iu) -= g;
              }
            });
        bandedCholesky(A, n, bw);
        bandedSolve(A, n, bw, rhs.data(), 1);
        // Damped where a step would move a device by more than 1/alpha (sinh grows fast);
        // the full step near the solution keeps Newton's quadratic convergence.
        double largest = 0;
        for (double d : rhs) largest = std::max(largest, std::fabs(d));
        const double damp = largest * alpha > 1 ? 1 / (largest * alpha) : 1.0;
        for (std::size_t k = 0; k < n; ++k) x[k] += damp * rhs[k];
        if (damp == 1 && largest <= 1e-13 * vScale) break;
        if (n == 0) break;
      }
      int seen = mostSteps.load();
      while (step + 1 > seen && !mostSteps.compare_exchange_weak(seen, step + 1)) {
      }
      // Output current j: everything flowing into sense ground j.
      double* I = currents + b * C;
      std::fill(I, I + C, 0.0);
      for (std::size_t i = 0; i < R; ++i)
        for (std::size_t j = 0; j < C; ++j)
          forEachCellEdgeId(gr, i, j, [&](int u, int v, int src) {
            double g;
            if (L.gnd[v] >= 0) I[L.gnd[v]] += edgeCurrent(src, volt(u) - volt(v), &g);
            else if (L.gnd[u] >= 0) I[L.gnd[u]] -= edgeCurrent(src, volt(u) - volt(v), &g);
          });
    }
  });
  return mostSteps.load();
}

}  // namespace nax
