/**
 * Where each op of a model runs (`nax-native eval --list-ops model.onnx`), from the graph alone,
 * before any data is read: per op type, how many nodes, and whether they run on crossbars (the
 * lowered Conv/ConvTranspose/Gemm/MatMul layers with constant weights), digitally (TS or native
 * kernels), are folded away at load (BatchNorm into its conv, constant shape/pad sub-graphs), or
 * are unsupported.
 */
import { unsupportedNodes } from '../onnx/reader';
import type { Graph } from '../onnx/ir';
import { defaultInputShapes, lowerNode, prepareGraph } from './lower';
import { inferShapes } from './shapes';

export type OpPlacement = 'crossbar' | 'digital' | 'folded' | 'unsupported';

export interface OpTypeSummary {
  opType: string;
  count: number;
  /** Nodes per placement (only placements with nodes). */
  placements: Partial<Record<OpPlacement, number>>;
}

export interface OpList {
  ops: OpTypeSummary[];
  nodes: number;
  /** Nodes that lower to crossbar layers. */
  crossbarLayers: number;
  unsupported: { name: string; opType: string }[];
}

const weighted = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Per op type: count and placement (see the file comment). Throws nothing for unsupported ops: it lists them. */
export function listOps(graph: Graph): OpList {
  const unsupported = unsupportedNodes(graph);
  const unsupportedNames = new Set(unsupported.map((nd) => nd.name));
  const placement = new Map<string, OpPlacement>();
  for (const nd of unsupported) placement.set(nd.name, 'unsupported');
  let crossbarNames = new Set<string>();
  let survivors: Set<string> | undefined;
  try {
    // With unsupported ops present, shapes after them stay unknown and their layers are listed as digital.
    const prepared = prepareGraph(graph);
    survivors = new Set(prepared.nodes.map((nd) => nd.name));
    const shapes = inferShapes(prepared, defaultInputShapes(prepared), { lenient: true });
    crossbarNames = new Set(
      prepared.nodes
        .filter((nd) => weighted.has(nd.opType))
        .filter((nd) => {
          try {
            return lowerNode(prepared, nd, shapes) !== undefined;
          } catch {
            return false;
          }
        })
        .map((nd) => nd.name),
    );
  } catch {
    survivors = undefined;
  }
  const byOp = new Map<string, OpTypeSummary>();
  for (const nd of graph.nodes) {
    const op = `${nd.domain && nd.domain !== 'ai.onnx' ? nd.domain + '.' : ''}${nd.opType}`;
    let where: OpPlacement;
    if (unsupportedNames.has(nd.name)) where = 'unsupported';
    else if (crossbarNames.has(nd.name)) where = 'crossbar';
    else if (survivors && !survivors.has(nd.name)) where = 'folded';
    else where = 'digital';
    const e = byOp.get(op) ?? { opType: op, count: 0, placements: {} };
    e.count++;
    e.placements[where] = (e.placements[where] ?? 0) + 1;
    byOp.set(op, e);
  }
  return {
    ops: [...byOp.values()].sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)),
    nodes: graph.nodes.length,
    crossbarLayers: crossbarNames.size,
    unsupported: unsupported.map((nd) => ({ name: nd.name, opType: nd.opType })),
  };
}

const placementText: Record<OpPlacement, string> = {
  crossbar: 'crossbars',
  digital: 'digital',
  folded: 'folded at load',
  unsupported: 'UNSUPPORTED',
};

/** The --list-ops table: op type, count, where it runs. */
export function formatOpList(list: OpList): string {
  const rows = list.ops.map((o) => {
    const parts = (Object.keys(placementText) as OpPlacement[])
      .filter((p) => o.placements[p])
      .map((p) => (o.placements[p] === o.count ? placementText[p] : `${placementText[p]} (${o.placements[p]})`));
    return [o.opType, String(o.count), parts.join(', ')];
  });
  const header = ['op type', 'count', 'runs on'];
  const width = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r[0].padEnd(width[0])}  ${r[1].padStart(width[1])}  ${r[2]}`;
  const lines = [line(header), ...rows.map(line)];
  lines.push(`${list.nodes} nodes, ${list.crossbarLayers} crossbar layers`);
  if (list.unsupported.length)
    lines.push(`unsupported: ${list.unsupported.map((u) => `node ${u.name} (${u.opType})`).join(', ')}`);
  return lines.join('\n');
}
