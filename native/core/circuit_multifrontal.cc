// Exact DC transfer matrix by multifrontal elimination over the nested
// dissection tree (circuit_ordering.h). Each block assembles a dense front
// from its leaf edges or its children's Schur complements, eliminates its own
// nodes and passes the rest up; the terminals (drivers d_i, sense grounds g_j)
// are never eliminated, so the root ends with the terminal Schur complement
// S_T and M[i][j] = -S_T[d_i, g_j].
//
// Accuracy: every front is a graph Laplacian (rows sum to zero) because Schur
// complements of Laplacians are Laplacians. We therefore never store
// diagonals: a pivot is minus the sum of its row's current off-diagonals (the
// GTH trick), and off-diagonals only ever grow in magnitude (each update
// subtracts a product of two non-positive entries). No step subtracts nearly
// equal numbers, so every entry of M has a small *relative* error even under
// extreme conductance ratios (micro-ohm wires against megaohm devices: within
// a few ulps of exact rational arithmetic, test/circuit/exact.test.ts).
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "aligned.h"
#include "circuit.h"
#include "circuit_graph.h"
#include "circuit_ordering.h"
#include "error.h"
#include "format.h"
#include "parallel.h"
#include "simd.h"

namespace nax {

using namespace circuit_detail;

namespace {

// Numeric kernels. Fronts are dense m x ld row-major; only the strict upper
// triangle is meaningful (diagonals are implied by zero row sums).

constexpr int MR = 6;   // rows per register tile
constexpr int NR = 8;   // columns per register tile: two vectors of four doubles
constexpr int NB = 24;  // pivots per blocked step (panel height; measured best 16-32)
using V4 = simd::Vec<double, 4>;

inline std::size_t roundUp(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

// acc[MR][NR] = sum_k a[k*MR + r] * b[k*NR + c]  (a, b packed panels; b and
// acc 32-byte aligned). Written out register by register: the compiler keeps
// all twelve accumulators in registers.
inline void microKernel(int kc, const double* __restrict a, const double* __restrict b, double* __restrict acc) {
  V4 c00 = {0, 0, 0, 0}, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00,
     c41 = c00, c50 = c00, c51 = c00;
  for (int k = 0; k < kc; ++k) {
    const V4 b0 = simd::load<V4>(b + k * NR), b1 = simd::load<V4>(b + k * NR + 4);
    const double* ak = a + k * MR;
    V4 x;
    x = V4{ak[0], ak[0], ak[0], ak[0]};
    c00 += x * b0;
    c01 += x * b1;
    x = V4{ak[1], ak[1], ak[1], ak[1]};
    c10 += x * b0;
    c11 += x * b1;
    x = V4{ak[2], ak[2], ak[2], ak[2]};
    c20 += x * b0;
    c21 += x * b1;
    x = V4{ak[3], ak[3], ak[3], ak[3]};
    c30 += x * b0;
    c31 += x * b1;
    x = V4{ak[4], ak[4], ak[4], ak[4]};
    c40 += x * b0;
    c41 += x * b1;
    x = V4{ak[5], ak[5], ak[5], ak[5]};
    c50 += x * b0;
    c51 += x * b1;
  }
  const V4 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; ++r) {
    simd::store(acc + r * NR, rows[r][0]);
    simd::store(acc + r * NR + 4, rows[r][1]);
  }
}

struct Workspace {
  AlignedArray<double> packA, packB;
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
        simd::storeU(fr, simd::loadU<V4>(fr) - simd::load<V4>(acc + r * NR));
        simd::storeU(fr + 4, simd::loadU<V4>(fr + 4) - simd::load<V4>(acc + r * NR + 4));
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
                        ws.packA.reserve(static_cast<std::size_t>(kc) * MR));
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
        throw Error(codes::kNumerical, "circuit solve: non-positive pivot " + formatNumber(p) + " (disconnected node?)");
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
    double* pb = ws.packB.reserve(static_cast<std::size_t>(roundUp(m - colBase, NR)) * kc + 8);
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

}  // namespace

void transferMatrix(const CircuitSpec& spec, const double* conductances, double* out, int threads) {
  validateCircuit(spec, conductances);
  requireOutput(out, "out");
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

}  // namespace nax
