// Builds the merged nodal graph of a crossbar (circuit_graph.h).
#include "circuit_graph.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "error.h"

namespace nax {
namespace circuit_detail {

namespace {

int findRoot(std::vector<int>& parent, int x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

}  // namespace

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

void requireOutput(const void* out, const char* name) {
  if (!out) throw Error(codes::kInvalidArgument, std::string("expected an output buffer for ") + name + ", got null");
}

}  // namespace circuit_detail
}  // namespace nax
