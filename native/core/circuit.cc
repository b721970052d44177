// Exact DC transfer matrix of a crossbar with parasitic wire resistance.
//
// Two solvers over the same nodal graph (circuit.h, shared/DESIGN.md):
//  - transferMatrixBanded: grounded nodal system K x = b with the terminals as
//    Dirichlet nodes, banded Cholesky, one right-hand side per word line. The
//    simple reference and benchmark baseline.
//  - transferMatrix: multifrontal nested dissection on the R x C cell grid.
//    Every node is eliminated at the block of the bisection tree that is the
//    lowest common ancestor of the cells of its edges; the terminals (drivers
//    d_i, sense grounds g_j) are never eliminated, so the root ends with the
//    terminal Schur complement S_T and M[i][j] = -S_T[d_i, g_j].
//
// Zero resistances are exact shorts in both: their endpoints are merged into
// one node before anything is assembled (no large stand-in conductance).
//
// Accuracy (fast solver): every front is a graph Laplacian (rows sum to zero)
// because Schur complements of Laplacians are Laplacians. We therefore never
// store diagonals: a pivot is minus the sum of its row's current off-diagonals
// (the GTH trick), and off-diagonals only ever grow in magnitude (each update
// subtracts a product of two non-positive entries). No step subtracts nearly
// equal numbers, so every entry of M has a small *relative* error even under
// extreme conductance ratios (micro-ohm wires against megaohm devices: within
// a few ulps of exact rational arithmetic, test/circuit/exact.test.ts).
#include "circuit.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "error.h"
#include "gemm.h"
#include "parallel.h"

namespace nax {

namespace {

constexpr std::size_t kMaxSide = 4096;

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// ---------------------------------------------------------------------------
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

int findRoot(std::vector<int>& parent, int x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

Graph buildGraph(const CircuitSpec& spec) {
  Graph gr;
  const std::size_t R = spec.rows, C = spec.cols;
  gr.R = R;
  gr.C = C;
  gr.shortW = spec.rWordLine == 0;
  gr.shortB = spec.rBitLine == 0;
  gr.shortS = spec.rSource == 0;
  gr.shortK = spec.rSink == 0;
  gr.gW = gr.shortW ? 0 : 1.0 / spec.rWordLine;
  gr.gB = gr.shortB ? 0 : 1.0 / spec.rBitLine;
  gr.gS = gr.shortS ? 0 : 1.0 / spec.rSource;
  gr.gK = gr.shortK ? 0 : 1.0 / spec.rSink;
  const std::size_t raw = 2 * R * C + R + C;
  std::vector<int> parent(raw);
  std::iota(parent.begin(), parent.end(), 0);
  auto unite = [&](std::size_t x, std::size_t y) {
    int rx = findRoot(parent, static_cast<int>(x)), ry = findRoot(parent, static_cast<int>(y));
    if (rx != ry) parent[std::max(rx, ry)] = std::min(rx, ry);
  };
  const std::size_t RC = R * C;
  if (gr.shortW)
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t j = 0; j + 1 < C; ++j) unite(i * C + j, i * C + j + 1);
  if (gr.shortB)
    for (std::size_t i = 0; i + 1 < R; ++i)
      for (std::size_t j = 0; j < C; ++j) unite(RC + i * C + j, RC + (i + 1) * C + j);
  if (gr.shortS)
    for (std::size_t i = 0; i < R; ++i) unite(2 * RC + i, i * C);
  if (gr.shortK)
    for (std::size_t j = 0; j < C; ++j) unite(RC + (R - 1) * C + j, 2 * RC + R + j);
  // Compress roots to dense ids in raw order (deterministic).
  gr.rep.assign(raw, -1);
  std::vector<int> id(raw, -1);
  for (std::size_t x = 0; x < raw; ++x) {
    int r = findRoot(parent, static_cast<int>(x));
    if (id[r] < 0) id[r] = gr.n++;
    gr.rep[x] = id[r];
  }
  gr.kind.assign(gr.n, 0);
  for (std::size_t i = 0; i < R; ++i) gr.kind[gr.rep[2 * RC + i]] = 1;
  for (std::size_t j = 0; j < C; ++j) gr.kind[gr.rep[2 * RC + R + j]] = 2;
  return gr;
}

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

// ---------------------------------------------------------------------------
// Fast solver: symbolic structure.

constexpr int kLeafCells = 4;

struct Block {
  int r0, r1, c0, c1;
  int child[2] = {-1, -1};
  int parent = -1;
  bool splitCols = false;  // children split the column range at `split`
  int split = 0;
  int depth = 0;
  // Front: nodes[nodeOff .. nodeOff+m) ordered [eliminated | internal kept | drivers | grounds].
  int ne = 0, m = 0;
  int dStart = 0, gStart = 0;  // absolute positions within the front
  std::size_t nodeOff = 0;
  std::size_t mapOff = 0;   // internal: positions in this front of each child's kept nodes (child0 then child1)
  std::size_t edgeOff = 0, edgeCount = 0;  // leaf: local edges
};

struct LocalEdge {
  int u, v;
  int src;  // see forEachCellEdgeId
};

struct Structure {
  std::size_t R = 0, C = 0;
  std::vector<int> rootPosD, rootPosG;  // root-front position of each driver / ground (-1: absent)
  std::vector<Block> blocks;
  std::vector<int> postOrder;
  std::vector<int> nodes;
  std::vector<int> maps;
  std::vector<LocalEdge> edges;
};

int buildTree(std::vector<Block>& blocks, int r0, int r1, int c0, int c1, int depth, int parent) {
  int id = static_cast<int>(blocks.size());
  blocks.push_back(Block{r0, r1, c0, c1});
  blocks[id].parent = parent;
  blocks[id].depth = depth;
  const int h = r1 - r0, w = c1 - c0;
  if (h * w <= kLeafCells) return id;
  bool splitCols = w >= h;
  int split = splitCols ? c0 + w / 2 : r0 + h / 2;
  blocks[id].splitCols = splitCols;
  blocks[id].split = split;
  int left = splitCols ? buildTree(blocks, r0, r1, c0, split, depth + 1, id)
                       : buildTree(blocks, r0, split, c0, c1, depth + 1, id);
  int right = splitCols ? buildTree(blocks, r0, r1, split, c1, depth + 1, id)
                        : buildTree(blocks, split, r1, c0, c1, depth + 1, id);
  blocks[id].child[0] = left;
  blocks[id].child[1] = right;
  return id;
}

// Symbolic phase: depends only on the sizes and on which resistances are zero.
Structure analyse(const Graph& gr) {
  Structure st;
  st.R = gr.R;
  st.C = gr.C;
  const int R = static_cast<int>(gr.R), C = static_cast<int>(gr.C);
  st.blocks.reserve(static_cast<std::size_t>(2 * R * C / std::max(1, kLeafCells / 2) + 4));
  buildTree(st.blocks, 0, R, 0, C, 0, -1);
  auto& blocks = st.blocks;

  // Cell bounding box of each merged node's edges.
  const int n = gr.n;
  std::vector<int> bb(4 * static_cast<std::size_t>(n));
  for (int x = 0; x < n; ++x) {
    bb[4 * x] = R;
    bb[4 * x + 1] = -1;
    bb[4 * x + 2] = C;
    bb[4 * x + 3] = -1;
  }
  auto touch = [&](int x, int i, int j) {
    int* p = &bb[4 * static_cast<std::size_t>(x)];
    p[0] = std::min(p[0], i);
    p[1] = std::max(p[1], i);
    p[2] = std::min(p[2], j);
    p[3] = std::max(p[3], j);
  };
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j)
      forEachCellEdgeId(gr, i, j, [&](int u, int v, int) {
        touch(u, i, j);
        touch(v, i, j);
      });

  // Elimination block = lowest tree block containing the node's bounding box.
  // The lowest block containing a bounding box is the lowest common ancestor
  // of the leaves holding its two corner cells (blocks are rectangles). Most
  // nodes sit in one leaf, so this climbs little.
  std::vector<int> leafOf(static_cast<std::size_t>(R) * C);
  for (std::size_t b = 0; b < blocks.size(); ++b)
    if (blocks[b].child[0] < 0)
      for (int i = blocks[b].r0; i < blocks[b].r1; ++i)
        for (int j = blocks[b].c0; j < blocks[b].c1; ++j) leafOf[static_cast<std::size_t>(i) * C + j] = static_cast<int>(b);
  std::vector<int> elim(n, -1);
  for (int x = 0; x < n; ++x) {
    if (gr.kind[x] != 0) continue;
    const int* p = &bb[4 * static_cast<std::size_t>(x)];
    int u = leafOf[static_cast<std::size_t>(p[0]) * C + p[2]], v = leafOf[static_cast<std::size_t>(p[1]) * C + p[3]];
    while (blocks[u].depth > blocks[v].depth) u = blocks[u].parent;
    while (blocks[v].depth > blocks[u].depth) v = blocks[v].parent;
    while (u != v) {
      u = blocks[u].parent;
      v = blocks[v].parent;
    }
    elim[x] = u;
  }

  // Post-order (children before parents).
  st.postOrder.reserve(blocks.size());
  {
    std::vector<std::pair<int, bool>> stack{{0, false}};
    while (!stack.empty()) {
      auto [b, expanded] = stack.back();
      stack.pop_back();
      if (expanded || blocks[b].child[0] < 0) {
        st.postOrder.push_back(b);
        continue;
      }
      stack.push_back({b, true});
      stack.push_back({blocks[b].child[1], false});
      stack.push_back({blocks[b].child[0], false});
    }
  }

  std::vector<int> stamp(n, -1), pos(n, -1);
  std::vector<int> touched, eliminated, internalKept, drivers, grounds;
  for (int b : st.postOrder) {
    Block& blk = blocks[b];
    touched.clear();
    auto add = [&](int x) {
      if (stamp[x] != b) {
        stamp[x] = b;
        touched.push_back(x);
      }
    };
    if (blk.child[0] < 0) {
      for (int i = blk.r0; i < blk.r1; ++i)
        for (int j = blk.c0; j < blk.c1; ++j)
          forEachCellEdgeId(gr, i, j, [&](int u, int v, int) {
            add(u);
            add(v);
          });
    } else {
      for (int c : blk.child) {
        const Block& cb = blocks[c];
        for (int k = cb.ne; k < cb.m; ++k) add(st.nodes[cb.nodeOff + k]);
      }
    }
    eliminated.clear();
    internalKept.clear();
    drivers.clear();
    grounds.clear();
    for (int x : touched) {
      if (gr.kind[x] == 1) drivers.push_back(x);
      else if (gr.kind[x] == 2) grounds.push_back(x);
      else if (elim[x] == b) eliminated.push_back(x);
      else internalKept.push_back(x);
    }
    blk.nodeOff = st.nodes.size();
    blk.ne = static_cast<int>(eliminated.size());
    blk.dStart = blk.ne + static_cast<int>(internalKept.size());
    blk.gStart = blk.dStart + static_cast<int>(drivers.size());
    blk.m = blk.gStart + static_cast<int>(grounds.size());
    for (auto* list : {&eliminated, &internalKept, &drivers, &grounds})
      for (int x : *list) {
        pos[x] = static_cast<int>(st.nodes.size() - blk.nodeOff);
        st.nodes.push_back(x);
      }
    if (blk.child[0] < 0) {
      blk.edgeOff = st.edges.size();
      for (int i = blk.r0; i < blk.r1; ++i)
        for (int j = blk.c0; j < blk.c1; ++j)
          forEachCellEdgeId(gr, i, j, [&](int u, int v, int src) { st.edges.push_back({pos[u], pos[v], src}); });
      blk.edgeCount = st.edges.size() - blk.edgeOff;
    } else {
      blk.mapOff = st.maps.size();
      for (int c : blk.child) {
        const Block& cb = blocks[c];
        for (int k = cb.ne; k < cb.m; ++k) st.maps.push_back(pos[st.nodes[cb.nodeOff + k]]);
      }
    }
  }
  // Where the answer lands: the root front holds only terminals.
  const Block& root = blocks[0];
  std::vector<int> rootPos(n, -1);
  for (int k = 0; k < root.m; ++k) rootPos[st.nodes[root.nodeOff + k]] = k;
  st.rootPosD.resize(gr.R);
  st.rootPosG.resize(gr.C);
  for (std::size_t i = 0; i < gr.R; ++i) st.rootPosD[i] = rootPos[gr.d(i)];
  for (std::size_t j = 0; j < gr.C; ++j) st.rootPosG[j] = rootPos[gr.g(j)];
  return st;
}

// A few recent structures, reused across calls with the same sizes and zero
// pattern (programming a layer solves many same-size tiles). Immutable once
// built, shared by reference count, so concurrent solves are safe.
std::shared_ptr<const Structure> cachedStructure(const CircuitSpec& spec) {
  struct Entry {
    std::size_t R, C;
    unsigned mask;
    std::shared_ptr<const Structure> st;
  };
  static std::mutex mutex;
  static std::vector<Entry> entries;  // most recent last
  const unsigned mask = (spec.rWordLine == 0) | (spec.rBitLine == 0) << 1 | (spec.rSource == 0) << 2 |
                        (spec.rSink == 0) << 3;
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (std::size_t k = 0; k < entries.size(); ++k)
      if (entries[k].R == spec.rows && entries[k].C == spec.cols && entries[k].mask == mask) {
        Entry e = entries[k];
        entries.erase(entries.begin() + static_cast<long>(k));
        entries.push_back(e);
        return e.st;
      }
  }
  auto st = std::make_shared<const Structure>(analyse(buildGraph(spec)));
  if (spec.rows * spec.cols <= 256 * 256) {  // bounded memory (~10 MB each at 256x256); larger ones are rebuilt
    std::lock_guard<std::mutex> lock(mutex);
    entries.push_back({spec.rows, spec.cols, mask, st});
    if (entries.size() > 8) entries.erase(entries.begin());
  }
  return st;
}

// ---------------------------------------------------------------------------
// Fast solver: numeric kernels. Fronts are dense m x ld row-major; only the
// strict upper triangle is meaningful (diagonals are implied by zero row sums).

#if defined(__GNUC__) && (defined(__AVX512F__) || defined(__AVX__))
typedef double v4d __attribute__((vector_size(32)));
typedef double v4du __attribute__((vector_size(32), aligned(8)));
#define NAX_CIRCUIT_VEC 1
#endif

constexpr int MR = 6;   // rows per register tile
constexpr int NR = 8;   // columns per register tile
constexpr int NB = 24;  // pivots per blocked step (panel height; measured best 16-32)

inline std::size_t roundUp(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

// acc[MR][NR] = sum_k a[k*MR + r] * b[k*NR + c]  (a, b packed panels)
inline void microKernel(int kc, const double* __restrict a, const double* __restrict b, double* __restrict acc) {
#ifdef NAX_CIRCUIT_VEC
  v4d c00 = {0, 0, 0, 0}, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00,
      c41 = c00, c50 = c00, c51 = c00;
  for (int k = 0; k < kc; ++k) {
    v4d b0 = *reinterpret_cast<const v4d*>(b + k * NR);
    v4d b1 = *reinterpret_cast<const v4d*>(b + k * NR + 4);
    const double* ak = a + k * MR;
    v4d x;
    x = v4d{ak[0], ak[0], ak[0], ak[0]};
    c00 += x * b0;
    c01 += x * b1;
    x = v4d{ak[1], ak[1], ak[1], ak[1]};
    c10 += x * b0;
    c11 += x * b1;
    x = v4d{ak[2], ak[2], ak[2], ak[2]};
    c20 += x * b0;
    c21 += x * b1;
    x = v4d{ak[3], ak[3], ak[3], ak[3]};
    c30 += x * b0;
    c31 += x * b1;
    x = v4d{ak[4], ak[4], ak[4], ak[4]};
    c40 += x * b0;
    c41 += x * b1;
    x = v4d{ak[5], ak[5], ak[5], ak[5]};
    c50 += x * b0;
    c51 += x * b1;
  }
  v4d* o = reinterpret_cast<v4d*>(acc);
  o[0] = c00;
  o[1] = c01;
  o[2] = c10;
  o[3] = c11;
  o[4] = c20;
  o[5] = c21;
  o[6] = c30;
  o[7] = c31;
  o[8] = c40;
  o[9] = c41;
  o[10] = c50;
  o[11] = c51;
#else
  for (int t = 0; t < MR * NR; ++t) acc[t] = 0;
  for (int k = 0; k < kc; ++k)
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r * NR + c] += a[k * MR + r] * b[k * NR + c];
#endif
}

// 64-byte aligned scratch (packed panels are read with aligned vector loads).
// Over-allocates instead of aligned_alloc, which MSVC lacks.
struct AlignedBuffer {
  std::unique_ptr<double[]> raw;
  double* p = nullptr;
  std::size_t cap = 0;
  double* get(std::size_t count) {
    if (count > cap) {
      cap = roundUp(std::max<std::size_t>(count, 64), 64);
      raw.reset(new double[cap + 8]);
      const auto addr = reinterpret_cast<std::uintptr_t>(raw.get());
      p = reinterpret_cast<double*>((addr + 63) & ~static_cast<std::uintptr_t>(63));
    }
    return p;
  }
};

struct Workspace {
  AlignedBuffer packA, packB;
};

// F[i][j] -= sum_k W[k][i] * W[k][j] for rows i in [i0, i1) and columns
// j in [max(colFrom, i), m) (upper part; entries on or below the diagonal of
// touched tiles receive harmless garbage). W is kc x ldw with columns indexed
// like F's. Rows are processed in MR tiles; tiles [t0, t1) of the row range.
void trailingUpdateTiles(double* F, std::size_t ld, int m, const double* W, std::size_t ldw, int kc, int i0, int i1,
                         int colFrom, bool upper, int t0, int t1, const double* packedB, int bColBase,
                         double* packA) {
  alignas(64) double acc[MR * NR];
  for (int t = t0; t < t1; ++t) {
    const int r0 = i0 + t * MR;
    const int rows = std::min(MR, i1 - r0);
    for (int k = 0; k < kc; ++k) {
      const double* wk = W + static_cast<std::size_t>(k) * ldw;
      for (int r = 0; r < MR; ++r) packA[k * MR + r] = r < rows ? wk[r0 + r] : 0.0;
    }
    int cStart = std::max(colFrom, upper ? r0 : colFrom);
    cStart = bColBase + (cStart - bColBase) / NR * NR;
    for (int c0 = cStart; c0 < m; c0 += NR) {
      const double* bp = packedB + static_cast<std::size_t>((c0 - bColBase) / NR) * kc * NR;
      microKernel(kc, packA, bp, acc);
      for (int r = 0; r < rows; ++r) {
        double* fr = F + static_cast<std::size_t>(r0 + r) * ld + c0;
#ifdef NAX_CIRCUIT_VEC
        v4du* f4 = reinterpret_cast<v4du*>(fr);
        f4[0] -= *reinterpret_cast<const v4d*>(acc + r * NR);
        f4[1] -= *reinterpret_cast<const v4d*>(acc + r * NR + 4);
#else
        for (int c = 0; c < NR; ++c) fr[c] -= acc[r * NR + c];
#endif
      }
    }
  }
}

// Packs W columns [colBase, m) into NR-wide panels (zero padded).
void packColumns(const double* W, std::size_t ldw, int kc, int colBase, int m, double* out) {
  for (int c0 = colBase; c0 < m; c0 += NR) {
    double* o = out + static_cast<std::size_t>((c0 - colBase) / NR) * kc * NR;
    const int cols = std::min(NR, m - c0);
    for (int k = 0; k < kc; ++k) {
      const double* wk = W + static_cast<std::size_t>(k) * ldw + c0;
      for (int c = 0; c < NR; ++c) o[k * NR + c] = c < cols ? wk[c] : 0.0;
    }
  }
}

// Update of a row range, split over `threads` workers by tile cost. Each tile's
// arithmetic is independent of the split, so results do not depend on threads.
void trailingUpdate(double* F, std::size_t ld, int m, const double* W, std::size_t ldw, int kc, int i0, int i1,
                    int colFrom, bool upper, const double* packedB, int bColBase, Workspace& ws, int threads) {
  if (i1 <= i0 || colFrom >= m) return;
  const int tiles = (i1 - i0 + MR - 1) / MR;
  const double work = static_cast<double>(i1 - i0) * (m - colFrom) * kc;
  if (threads <= 1 || work < 4.0e6 || tiles < 2) {
    trailingUpdateTiles(F, ld, m, W, ldw, kc, i0, i1, colFrom, upper, 0, tiles, packedB, bColBase,
                        ws.packA.get(static_cast<std::size_t>(kc) * MR));
    return;
  }
  // Balance: tile t costs ~ number of column tiles it touches.
  std::vector<double> cum(tiles + 1, 0);
  for (int t = 0; t < tiles; ++t) {
    int r0 = i0 + t * MR;
    int cs = upper ? std::max(colFrom, r0) : colFrom;
    cum[t + 1] = cum[t] + (m - cs + NR);
  }
  const int workers = std::min(threads, tiles);
  std::vector<int> bounds(workers + 1, tiles);
  bounds[0] = 0;
  for (int w = 1; w < workers; ++w) {
    double target = cum[tiles] * w / workers;
    bounds[w] = static_cast<int>(std::lower_bound(cum.begin(), cum.end(), target) - cum.begin());
    bounds[w] = std::max(bounds[w - 1], std::min(bounds[w], tiles));
  }
  parallelFor(static_cast<std::size_t>(workers), workers, [&](std::size_t wb, std::size_t we, int) {
    std::vector<double> packA(static_cast<std::size_t>(kc) * MR + 8);
    for (std::size_t w = wb; w < we; ++w)
      trailingUpdateTiles(F, ld, m, W, ldw, kc, i0, i1, colFrom, upper, bounds[w], bounds[w + 1], packedB, bColBase,
                          packA.data());
  });
}

// Sum with 8 independent partial sums (vectorisable, fixed order).
inline double rowSum(const double* x, int n) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int t = 0; t < 8; ++t) part[t] += x[j + t];
  double s = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
  for (; j < n; ++j) s += x[j];
  return s;
}

// Eliminates the first ne nodes of a Laplacian front (strict upper triangle
// in F), leaving the Schur complement's strict upper triangle in rows/cols
// [ne, m). Driver-driver and ground-ground entries are never needed (no pivot
// row is a terminal, and M only needs driver-ground), so they are skipped.
void partialFactor(double* F, std::size_t ld, int m, int ne, int dStart, int gStart, Workspace& ws,
                   std::vector<double>& W, int threads) {
  for (int k0 = 0; k0 < ne; k0 += NB) {
    const int k1 = std::min(ne, k0 + NB);
    const int kc = k1 - k0;
    // Unblocked elimination inside the panel, over whole rows.
    for (int k = k0; k < k1; ++k) {
      double* rk = F + static_cast<std::size_t>(k) * ld;
      const double p = -rowSum(rk + k + 1, m - k - 1);
      if (!(p > 0) || !std::isfinite(p))
        throw Error(codes::kNumerical, "circuit solve: non-positive pivot " + fmt(p) + " (disconnected node?)");
      const double inv = 1.0 / p;
      for (int i = k + 1; i < k1; ++i) {
        const double f = rk[i] * inv;
        if (f == 0) continue;
        double* ri = F + static_cast<std::size_t>(i) * ld;
        for (int j = i + 1; j < m; ++j) ri[j] -= f * rk[j];
      }
      // Scaled row for the trailing update: W_k = U_k / sqrt(p_k).
      const double sc = std::sqrt(inv);
      double* wk = W.data() + static_cast<std::size_t>(k - k0) * ld;
      for (int j = k1; j < m; ++j) wk[j] = rk[j] * sc;
    }
    if (k1 >= m) continue;
    // Trailing update of everything after the panel.
    const int colBase = k1 / NR * NR;  // align panels to F's column grid
    // Columns below k1 are never read by the kernel for upper rows >= k1, but
    // the grid start may be < k1: zero those W entries.
    for (int k = 0; k < kc; ++k)
      for (int j = colBase; j < k1; ++j) W[static_cast<std::size_t>(k) * ld + j] = 0;
    double* pb = ws.packB.get(static_cast<std::size_t>(roundUp(m - colBase, NR)) * kc + 8);
    packColumns(W.data(), ld, kc, colBase, m, pb);
    // Rows after the panel up to the drivers: full upper rows.
    trailingUpdate(F, ld, m, W.data(), ld, kc, k1, std::max(k1, dStart), k1, true, pb, colBase, ws, threads);
    // Driver rows: only ground columns.
    if (gStart < m && dStart < gStart)
      trailingUpdate(F, ld, m, W.data(), ld, kc, std::max(k1, dStart), gStart, gStart, false, pb, colBase, ws,
                     threads);
  }
}

// A front's dense storage. Buffers are recycled through a per-worker pool so
// that the many small fronts cost no allocation or page faults.
struct Buffer {
  std::unique_ptr<double[]> p;
  std::size_t cap = 0;
};

// Free buffers in power-of-two size classes. Pools outlive a call (a few are
// parked in a global list) so repeated solves reuse warm memory.
struct Pool {
  std::vector<Buffer> free[48];
  std::size_t held = 0;  // doubles held in free lists
  Buffer take(std::size_t need) {
    int cls = 0;
    while ((std::size_t{1} << cls) < need) ++cls;
    if (!free[cls].empty()) {
      Buffer b = std::move(free[cls].back());
      free[cls].pop_back();
      held -= b.cap;
      return b;
    }
    Buffer b;
    b.cap = std::size_t{1} << cls;
    b.p.reset(new double[b.cap]);  // uninitialised: only the upper triangle is cleared
    return b;
  }
  void give(Buffer&& b) {
    if (!b.p) return;
    int cls = 0;
    while ((std::size_t{1} << cls) < b.cap) ++cls;
    held += b.cap;
    free[cls].push_back(std::move(b));
  }
};

std::mutex poolMutex;
std::vector<std::unique_ptr<Pool>> parkedPools;

std::unique_ptr<Pool> borrowPool() {
  std::lock_guard<std::mutex> lock(poolMutex);
  if (parkedPools.empty()) return std::make_unique<Pool>();
  std::unique_ptr<Pool> p = std::move(parkedPools.back());
  parkedPools.pop_back();
  return p;
}

void returnPool(std::unique_ptr<Pool> p) {
  if (p->held > (std::size_t{32} << 20) / sizeof(double)) return;  // keep at most ~32 MB per pool
  std::lock_guard<std::mutex> lock(poolMutex);
  if (parkedPools.size() < 4) parkedPools.push_back(std::move(p));
}

struct Front {
  Buffer buf;  // m x ld, row-major; strict upper triangle meaningful
  std::size_t ld = 0;
};

struct Numeric {
  const Structure& st;
  const double* G;
  double gTable[4];  // conductances of kWordWire, kBitWire, kSourceRes, kSinkRes
  std::vector<Front> fronts;
};

void processBlock(Numeric& nm, int b, Pool& pool, Workspace& ws, std::vector<double>& W, int threads) {
  const Structure& st = nm.st;
  const Block& blk = st.blocks[b];
  Front& f = nm.fronts[b];
  const int m = blk.m;
  f.ld = roundUp(static_cast<std::size_t>(std::max(m, 1)), NR);
  const std::size_t ld = f.ld;
  f.buf = pool.take(static_cast<std::size_t>(m) * ld + NR);
  double* F = f.buf.p.get();
  for (int p = 0; p < m; ++p) std::memset(F + static_cast<std::size_t>(p) * ld + p, 0, (m - p) * sizeof(double));
  auto addUpper = [&](int p, int q, double v) {
    const int lo = std::min(p, q), hi = std::max(p, q);
    F[static_cast<std::size_t>(lo) * ld + hi] += v;
  };
  if (blk.child[0] < 0) {
    for (std::size_t e = 0; e < blk.edgeCount; ++e) {
      const LocalEdge& le = st.edges[blk.edgeOff + e];
      addUpper(le.u, le.v, -(le.src >= 0 ? nm.G[le.src] : nm.gTable[-le.src - 1]));
    }
  } else {
    const int* map = st.maps.data() + blk.mapOff;
    for (int c : blk.child) {
      const Block& cb = st.blocks[c];
      Front& cf = nm.fronts[c];
      const int cnk = cb.m - cb.ne;
      const double* CF = cf.buf.p.get();
      for (int p = cb.ne; p < cb.gStart; ++p) {  // ground rows hold only ground-ground (unused) entries
        const int qFrom = p >= cb.dStart ? std::max(p + 1, cb.gStart) : p + 1;
        const double* row = CF + static_cast<std::size_t>(p) * cf.ld;
        const int P = map[p - cb.ne];
        const int* mq = map - cb.ne;
        for (int q = qFrom; q < cb.m; ++q) addUpper(P, mq[q], row[q]);
      }
      map += cnk;
      pool.give(std::move(cf.buf));
    }
  }
  if (blk.ne > 0) {
    const std::size_t need = static_cast<std::size_t>(NB) * ld;
    if (W.size() < need) W.resize(need);
    partialFactor(F, ld, m, blk.ne, blk.dStart, blk.gStart, ws, W, threads);
  }
}

void processSubtree(Numeric& nm, int root, int threads) {
  std::unique_ptr<Pool> owned = borrowPool();
  Pool& pool = *owned;
  Workspace ws;
  std::vector<double> W;
  std::vector<std::pair<int, bool>> stack{{root, false}};
  while (!stack.empty()) {
    auto [b, expanded] = stack.back();
    stack.pop_back();
    const Block& blk = nm.st.blocks[b];
    if (expanded || blk.child[0] < 0) {
      processBlock(nm, b, pool, ws, W, threads);
      continue;
    }
    stack.push_back({b, true});
    stack.push_back({blk.child[1], false});
    stack.push_back({blk.child[0], false});
  }
  returnPool(std::move(owned));
}

void checkPointers(const CircuitSpec& spec, const double* conductances, const void* out, const char* outName) {
  if (!conductances) throw Error(codes::kInvalidArgument, "expected a conductances array, got null");
  if (!out) throw Error(codes::kInvalidArgument, std::string("expected an output buffer for ") + outName + ", got null");
  (void)spec;
}

}  // namespace

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
      throw Error(codes::kInvalidArgument, std::string("expected a finite number >= 0 (ohms) for ") + name + ", got " + fmt(v));
    if (v < 0)
      throw Error(codes::kOutOfRange, std::string("expected a finite number >= 0 (ohms) for ") + name + ", got " + fmt(v));
  }
  if (!conductances) throw Error(codes::kInvalidArgument, "expected a conductances array, got null");
  const std::size_t count = spec.rows * spec.cols;
  for (std::size_t k = 0; k < count; ++k) {
    const double g = conductances[k];
    if (!std::isfinite(g))
      throw Error(codes::kInvalidArgument,
                  "expected a finite number > 0 (siemens) for conductances[" + std::to_string(k) + "], got " + fmt(g));
    if (!(g > 0))
      throw Error(codes::kOutOfRange,
                  "expected a finite number > 0 (siemens) for conductances[" + std::to_string(k) + "], got " + fmt(g));
  }
}

void transferMatrix(const CircuitSpec& spec, const double* conductances, double* out, int threads) {
  validateCircuit(spec, conductances);
  checkPointers(spec, conductances, out, "out");
  const std::size_t R = spec.rows, C = spec.cols;
  if (spec.rWordLine == 0 && spec.rBitLine == 0 && spec.rSource == 0 && spec.rSink == 0) {
    std::memcpy(out, conductances, R * C * sizeof(double));  // I = V.G exactly
    return;
  }
  // Automatic thread count: small arrays (<= 96x96 cells, under ~1 ms of
  // work) run on the calling thread, where spawning workers costs more than it
  // saves, especially on a busy machine. An explicit count is honoured.
  const bool autoThreads = threads <= 0;
  threads = std::min(resolveThreads(threads), 64);
  if (autoThreads && R * C <= 96 * 96) threads = 1;
  std::shared_ptr<const Structure> shared = cachedStructure(spec);
  const Structure& st = *shared;
  Numeric nm{st, conductances, {0, 0, 0, 0}, std::vector<Front>(st.blocks.size())};
  const double rs[4] = {spec.rWordLine, spec.rBitLine, spec.rSource, spec.rSink};
  for (int k = 0; k < 4; ++k) nm.gTable[k] = rs[k] > 0 ? 1.0 / rs[k] : 0.0;

  // Parallel phase: workers take ready blocks (both children done) from a
  // shared stack, so an unbalanced tree (drivers and grounds sit on two edges)
  // keeps both cores busy; the root then runs with threaded kernels. Every
  // block does the same arithmetic whichever thread runs it, so the result is
  // bit-identical for any thread count.
  if (threads > 1 && st.blocks[0].child[0] >= 0) {
    const std::size_t nb = st.blocks.size();
    std::vector<int> pending(nb, 2), ready;
    for (auto it = st.postOrder.rbegin(); it != st.postOrder.rend(); ++it)
      if (st.blocks[*it].child[0] < 0) ready.push_back(*it);
    std::size_t remaining = nb - 1;  // every block but the root
    bool failed = false;
    std::mutex mutex;
    std::condition_variable wake;
    parallelFor(static_cast<std::size_t>(threads), threads, [&](std::size_t, std::size_t, int) {
      std::unique_ptr<Pool> pool = borrowPool();
      Workspace ws;
      std::vector<double> W;
      for (;;) {
        int b;
        {
          std::unique_lock<std::mutex> lock(mutex);
          wake.wait(lock, [&] { return !ready.empty() || remaining == 0 || failed; });
          if (remaining == 0 || failed) break;
          b = ready.back();
          ready.pop_back();
        }
        try {
          processBlock(nm, b, *pool, ws, W, 1);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex);
          failed = true;
          wake.notify_all();
          throw;
        }
        std::lock_guard<std::mutex> lock(mutex);
        --remaining;
        const int parent = st.blocks[b].parent;
        if (parent > 0 && --pending[parent] == 0) ready.push_back(parent);
        wake.notify_all();
      }
      returnPool(std::move(pool));
    });
    std::unique_ptr<Pool> pool = borrowPool();
    Workspace ws;
    std::vector<double> W;
    processBlock(nm, 0, *pool, ws, W, threads);
    returnPool(std::move(pool));
  } else {
    processSubtree(nm, 0, threads);
  }

  // Root front: only terminals remain. M[i][j] = -S[d_i, g_j].
  const Block& root = st.blocks[0];
  if (root.dStart != root.ne) throw Error(codes::kInternal, "circuit solve: internal nodes left at the root");
  const double* F = nm.fronts[0].buf.p.get();
  const std::size_t ld = nm.fronts[0].ld;
  for (std::size_t i = 0; i < R; ++i) {
    const int p = st.rootPosD[i];
    for (std::size_t j = 0; j < C; ++j) {
      const int q = st.rootPosG[j];
      out[i * C + j] = (p < 0 || q < 0) ? 0.0 : -F[static_cast<std::size_t>(p) * ld + q];
    }
  }
}

// ---------------------------------------------------------------------------
// Banded baseline. Unknowns are the non-terminal merged nodes, ordered
// row-major (a(i,*) then b(i,*) per word line; half-bandwidth ~2C), or
// column-major when the bit lines are shorted (a shorted bit line would
// otherwise span the whole band).
void transferMatrixBanded(const CircuitSpec& spec, const double* conductances, double* out) {
  validateCircuit(spec, conductances);
  checkPointers(spec, conductances, out, "out");
  const std::size_t R = spec.rows, C = spec.cols;
  Graph gr = buildGraph(spec);
  const bool colMajor = gr.shortB && !gr.shortW;
  const std::size_t raw = 2 * R * C;
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
  std::vector<long> idx(gr.n, -1);
  for (std::size_t k = 0; k < order.size(); ++k) idx[order[k]] = static_cast<long>(k);
  const std::size_t n = order.size();
  // Terminal index: driver i or ground j of each terminal merged node.
  std::vector<long> drv(gr.n, -1), gnd(gr.n, -1);
  for (std::size_t i = 0; i < R; ++i) drv[gr.d(i)] = static_cast<long>(i);
  for (std::size_t j = 0; j < C; ++j) gnd[gr.g(j)] = static_cast<long>(j);

  std::fill(out, out + R * C, 0.0);
  std::size_t bw = 0;
  for (std::size_t i = 0; i < R; ++i)
    for (std::size_t j = 0; j < C; ++j)
      forEachCellEdge(gr, conductances, i, j, [&](int u, int v, double) {
        if (idx[u] >= 0 && idx[v] >= 0) bw = std::max<std::size_t>(bw, std::labs(idx[u] - idx[v]));
      });
  const std::size_t w = bw + 1;  // row storage: L(i, k) at i*w + (k - i + bw), k in [i-bw, i]
  std::vector<double> A(n * w, 0.0), B(n * R, 0.0);
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
  // Banded Cholesky (lower, row storage).
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i > bw ? i - bw : 0;
    for (std::size_t j = lo; j <= i; ++j) {
      const std::size_t klo = std::max(lo, j > bw ? j - bw : 0);
      double s = at(i, j);
      const double* li = &A[i * w + (klo + bw - i)];
      const double* lj = &A[j * w + (klo + bw - j)];
      for (std::size_t k = 0; k < j - klo; ++k) s -= li[k] * lj[k];
      if (j == i) {
        if (!(s > 0)) throw Error(codes::kNumerical, "banded circuit solve: non-positive pivot " + fmt(s));
        at(i, i) = std::sqrt(s);
      } else {
        at(i, j) = s / at(j, j);
      }
    }
  }
  // Forward and backward substitution for all R right-hand sides at once.
  for (std::size_t i = 0; i < n; ++i) {
    double* bi = &B[i * R];
    const std::size_t lo = i > bw ? i - bw : 0;
    for (std::size_t k = lo; k < i; ++k) {
      const double l = at(i, k);
      if (l == 0) continue;
      const double* bk = &B[k * R];
      for (std::size_t r = 0; r < R; ++r) bi[r] -= l * bk[r];
    }
    const double inv = 1.0 / at(i, i);
    for (std::size_t r = 0; r < R; ++r) bi[r] *= inv;
  }
  for (std::size_t ii = n; ii-- > 0;) {
    double* bi = &B[ii * R];
    const std::size_t hi = std::min(n, ii + bw + 1);
    for (std::size_t k = ii + 1; k < hi; ++k) {
      const double l = at(k, ii);
      if (l == 0) continue;
      const double* bk = &B[k * R];
      for (std::size_t r = 0; r < R; ++r) bi[r] -= l * bk[r];
    }
    const double inv = 1.0 / at(ii, ii);
    for (std::size_t r = 0; r < R; ++r) bi[r] *= inv;
  }
  // Current into ground j from driver i = sum over sense edges g * v_u.
  for (const Sense& s : sense)
    for (std::size_t i = 0; i < R; ++i) out[i * C + s.j] += s.g * B[s.u * R + i];
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
                  "expected a finite number (volts) for voltages[" + std::to_string(k) + "], got " + fmt(voltages[k]));
  std::vector<double> M(R * C);
  transferMatrix(spec, conductances, M.data(), threads);
  if (batch == 0) return;
  dgemm(false, false, batch, C, R, 1.0, voltages, R, M.data(), C, 0.0, currents, C, threads);
}

}  // namespace nax
