// The nodal graph both circuit solvers work on (circuit.h, shared/DESIGN.md):
// raw node ids, zero resistances merged into one node before anything is
// assembled (exact shorts, no large stand-in conductance), and the edges of
// each cell. Internal to the circuit solver.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "circuit.h"

namespace nax {
namespace circuit_detail {

constexpr std::size_t kMaxSide = 4096;

// Shared graph description: raw nodes, zero-resistance merging, edges per cell.
//
// Raw node ids: a(i,j) = i*C + j, b(i,j) = RC + i*C + j, d_i = 2RC + i,
// g_j = 2RC + R + j.
struct Graph {
  std::size_t R = 0, C = 0;
  double gW = 0, gB = 0, gS = 0, gK = 0;  // wire/source/sink conductances (0 when shorted)
  bool shortW = false, shortB = false, shortS = false, shortK = false;
  std::vector<int> rep;    // raw node -> merged node id (0..n-1)
  std::vector<int8_t> kind;  // merged node: 0 internal, 1 driver terminal, 2 ground terminal
  int n = 0;

  int a(std::size_t i, std::size_t j) const { return rep[i * C + j]; }
  int b(std::size_t i, std::size_t j) const { return rep[R * C + i * C + j]; }
  int d(std::size_t i) const { return rep[2 * R * C + i]; }
  int g(std::size_t j) const { return rep[2 * R * C + R + j]; }
};

Graph buildGraph(const CircuitSpec& spec);

// Edge sources: a device is its cell index (>= 0); the wires, source and sink
// resistors each share one conductance (index -src-1 into a 4-entry table).
constexpr int kWordWire = -1, kBitWire = -2, kSourceRes = -3, kSinkRes = -4;

// Calls fn(u, v, source) for each non-shorted edge of cell (i,j).
template <typename Fn>
inline void forEachCellEdgeId(const Graph& gr, std::size_t i, std::size_t j, Fn&& fn) {
  const std::size_t R = gr.R, C = gr.C;
  fn(gr.a(i, j), gr.b(i, j), static_cast<int>(i * C + j));
  if (j + 1 < C && !gr.shortW) fn(gr.a(i, j), gr.a(i, j + 1), kWordWire);
  if (i + 1 < R && !gr.shortB) fn(gr.b(i, j), gr.b(i + 1, j), kBitWire);
  if (j == 0 && !gr.shortS) fn(gr.d(i), gr.a(i, 0), kSourceRes);
  if (i + 1 == R && !gr.shortK) fn(gr.b(i, j), gr.g(j), kSinkRes);
}

// Calls fn(u, v, conductance) for each non-shorted edge of cell (i,j).
template <typename Fn>
inline void forEachCellEdge(const Graph& gr, const double* G, std::size_t i, std::size_t j, Fn&& fn) {
  const double table[4] = {gr.gW, gr.gB, gr.gS, gr.gK};
  forEachCellEdgeId(gr, i, j, [&](int u, int v, int src) { fn(u, v, src >= 0 ? G[src] : table[-src - 1]); });
}

// The banded layout of the unknown (non-terminal) merged nodes (circuit_banded.cc).
struct BandedLayout {
  std::vector<long> idx;       // merged node -> unknown index, or -1 for a terminal
  std::vector<long> drv, gnd;  // merged node -> its driver row / ground column, or -1
  std::size_t n = 0;           // unknowns
  std::size_t bw = 0;          // half-bandwidth of the nodal matrix
};
BandedLayout bandedLayout(const Graph& gr);
// In place: A (n rows of bw+1, L(i, k) at i*(bw+1) + (k - i + bw)) becomes its Cholesky factor L.
// Throws nax::Error (kNumerical) on a non-positive pivot.
void bandedCholesky(std::vector<double>& A, std::size_t n, std::size_t bw);
// Solves L L^T X = B in place for nrhs right-hand sides (B row-major, n x nrhs).
void bandedSolve(const std::vector<double>& A, std::size_t n, std::size_t bw, double* B, std::size_t nrhs);

// Throws nax::Error when an output buffer is missing.
void requireOutput(const void* out, const char* name);

}  // namespace circuit_detail
}  // namespace nax
