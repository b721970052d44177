// The circuit solver's public entries (circuit.h): argument checks and the
// batch solve. Two solvers share one nodal graph (circuit_graph.h):
//  - transferMatrix (circuit_multifrontal.cc): multifrontal elimination over a
//    nested dissection of the cell grid (circuit_ordering.h); the fast one.
//  - transferMatrixBanded (circuit_banded.cc): banded Cholesky of the full
//    nodal system; the simple reference and benchmark baseline.
// Zero resistances are exact shorts in both (their endpoints are merged).
#include "circuit.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "circuit_graph.h"
#include "error.h"
#include "format.h"
#include "gemm.h"

namespace nax {

using circuit_detail::kMaxSide;

void validateCircuit(const CircuitSpec& spec, const double* conductances) {
  if (spec.rows < 1 || spec.rows > kMaxSide)
    throw Error(codes::kOutOfRange, "expected an integer in [1, 4096] for rows, got " + std::to_string(spec.rows));
  if (spec.cols < 1 || spec.cols > kMaxSide)
    throw Error(codes::kOutOfRange, "expected an integer in [1, 4096] for cols, got " + std::to_string(spec.cols));
  const std::pair<const char*, double> rs[] = {{"rWordLine", spec.rWordLine},
                                               {"rBitLine", spec.rBitLine},
                                               {"rSource", spec.rSource},
                                               {"rSink", spec.rSink}};
  for (const auto& [name, v] : rs) {
    if (!std::isfinite(v))
      throw Error(codes::kInvalidArgument, std::string("expected a finite number >= 0 (ohms) for ") + name + ", got " + formatNumber(v));
    if (v < 0)
      throw Error(codes::kOutOfRange, std::string("expected a finite number >= 0 (ohms) for ") + name + ", got " + formatNumber(v));
  }
  if (!conductances) throw Error(codes::kInvalidArgument, "expected a conductances array, got null");
  const std::size_t count = spec.rows * spec.cols;
  for (std::size_t k = 0; k < count; ++k) {
    const double g = conductances[k];
    if (!std::isfinite(g))
      throw Error(codes::kInvalidArgument,
                  "expected a finite number > 0 (siemens) for conductances[" + std::to_string(k) + "], got " + formatNumber(g));
    if (!(g > 0))
      throw Error(codes::kOutOfRange,
                  "expected a finite number > 0 (siemens) for conductances[" + std::to_string(k) + "], got " + formatNumber(g));
  }
}

void solveCircuit(const CircuitSpec& spec, const double* conductances, const double* voltages, std::size_t batch,
                  double* currents, int threads) {
  validateCircuit(spec, conductances);
  if (batch > 0 && (!voltages || !currents))
    throw Error(codes::kInvalidArgument, "expected voltages and currents buffers, got null");
  const std::size_t R = spec.rows, C = spec.cols;
  for (std::size_t k = 0; k < batch * R; ++k)
    if (!std::isfinite(voltages[k]))
      throw Error(codes::kInvalidArgument,
                  "expected a finite number (volts) for voltages[" + std::to_string(k) + "], got " + formatNumber(voltages[k]));
  std::vector<double> M(R * C);
  transferMatrix(spec, conductances, M.data(), threads);
  if (batch == 0) return;
  dgemm(false, false, batch, C, R, 1.0, voltages, R, M.data(), C, 0.0, currents, C, threads);
}

}  // namespace nax
