// Nested dissection of the crossbar's cell grid and the symbolic structure of
// the multifrontal solve (circuit_multifrontal.cc): the bisection tree, which
// merged node each block eliminates, each front's node order and where
// children's kept nodes land in their parent. Depends only on the array size
// and on which resistances are zero, so it is cached and shared across solves.
// Internal to the circuit solver.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "circuit.h"
#include "circuit_graph.h"

namespace nax {
namespace circuit_detail {

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

// Symbolic phase: every node is eliminated at the block of the bisection tree
// that is the lowest common ancestor of the cells of its edges; terminals are
// never eliminated, so the root's front holds only drivers and grounds.
Structure analyse(const Graph& gr);

// The structure for this spec's sizes and zero pattern, from a small cache
// (programming a layer solves many same-size tiles). Immutable, shared by
// reference count, so concurrent solves are safe.
std::shared_ptr<const Structure> cachedStructure(const CircuitSpec& spec);

}  // namespace circuit_detail
}  // namespace nax
