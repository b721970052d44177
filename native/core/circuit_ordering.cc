// Nested dissection ordering and symbolic structure (circuit_ordering.h).
#include "circuit_ordering.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace nax {
namespace circuit_detail {

namespace {

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

}  // namespace

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

}  // namespace circuit_detail
}  // namespace nax
