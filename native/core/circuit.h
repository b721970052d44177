// Exact DC solve of a memristive crossbar with parasitic wire resistance.
// Convention (shared/DESIGN.md): rows i are word lines driven at column 0
// through rSource; columns j are bit lines sensed at row R-1 through rSink;
// rWordLine between a(i,j) and a(i,j+1); rBitLine between b(i,j) and
// b(i+1,j); device conductance G(i,j) between a(i,j) and b(i,j). The circuit
// is linear: I = V . M with M (rows x cols) the transfer matrix.
#pragma once
#include <cstddef>

namespace nax {

struct CircuitSpec {
  std::size_t rows = 0;
  std::size_t cols = 0;
  double rWordLine = 0;  // ohms per cell segment, >= 0 (0 = exact short)
  double rBitLine = 0;   // ohms per cell segment, >= 0
  double rSource = 0;    // driver output resistance, ohms, >= 0
  double rSink = 0;      // sense (virtual ground) input resistance, ohms, >= 0
};

// Throws nax::Error on invalid sizes, non-finite or non-positive
// conductances, or negative resistances.
void validateCircuit(const CircuitSpec& spec, const double* conductances);

// out: rows*cols row-major, I_j = sum_i V_i * out[i*cols + j] (siemens).
// conductances: rows*cols siemens, row-major. threads <= 0 means automatic (all
// cores; one for arrays of at most 96x96 cells). Results are bit-identical for
// any thread count.
void transferMatrix(const CircuitSpec& spec, const double* conductances, double* out, int threads = 0);

// Reference solver: the full nodal system with a banded Cholesky factorisation
// (simple, O(R*C^3)); the benchmark baseline and a second oracle in tests.
void transferMatrixBanded(const CircuitSpec& spec, const double* conductances, double* out);

// Output currents for a batch of input voltage vectors (batch*rows volts) ->
// batch*cols amperes. Computes the transfer matrix once.
void solveCircuit(const CircuitSpec& spec, const double* conductances, const double* voltages, std::size_t batch,
                  double* currents, int threads = 0);

// Exact DC solve with nonlinear devices I = G sinh(alpha V) / alpha (G: the small-signal
// conductance at V -> 0; alpha > 0 in 1/volts): Newton's method on the nodal equations of the
// same merged graph, each step a banded Cholesky solve of the linearised system (every device
// replaced by its tangent conductance G cosh(alpha V) plus a current source), until no node
// voltage moves by more than 1e-13 of the largest input voltage (and the KCL residual is at
// rounding level). O(steps * R * C^3) per input vector: for small arrays, as the reference of the
// crossbar engine's fast path. Input vectors are independent (parallel, any thread count gives
// the same currents). Returns the most Newton steps any input vector took.
int solveCircuitNonlinear(const CircuitSpec& spec, const double* conductances, double alpha, const double* voltages,
                          std::size_t batch, double* currents, int threads = 0);

}  // namespace nax
