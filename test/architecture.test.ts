/**
 * Layout rules the compiler does not enforce. No import cycles among lib/ files: every relative
 * import, `import type` and `export ... from` is an edge (a type-only cycle still ties two files
 * into one concern and turns into a runtime cycle as soon as a value crosses it).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const LIB = path.resolve(__dirname, '..', 'lib');

type ImportGraph = Map<string, string[]>;

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** lib/-relative file a relative specifier resolves to (x.ts, then x/index.ts), or undefined. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const file = [`${base}.ts`, path.join(base, 'index.ts')].find((p) => fs.existsSync(p));
  return file && path.relative(LIB, file).split(path.sep).join('/');
}

/** Every lib/ file and the lib/ files it imports or re-exports from (packages are left out). */
function libImportGraph(): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of tsFiles(LIB)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const deps = new Set<string>();
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolveSpecifier(file, ref.fileName);
      if (!target) throw new Error(`${path.relative(LIB, file)}: cannot resolve '${ref.fileName}'`);
      deps.add(target);
    }
    graph.set(path.relative(LIB, file).split(path.sep).join('/'), [...deps].sort());
  }
  return graph;
}

/**
 * One cycle per strongly connected component with a cycle (Tarjan), each given as the path
 * a -> b -> ... -> a through that component, starting at its alphabetically first file.
 */
function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => cycleThrough(graph, new Set(component))).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Shortest path from the component's first file back to itself, staying inside the component. */
function cycleThrough(graph: ImportGraph, component: Set<string>): string[] {
  const start = [...component].sort()[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const cycle = [start];
        for (let u = v; u !== start; u = previous.get(u)!) cycle.splice(1, 0, u);
        return [...cycle, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`); // unreachable for a strongly connected component
}

describe('architecture', () => {
  test('findCycles finds every cycle of a synthetic graph and nothing in an acyclic one', () => {
    const graph: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']], // a -> b -> c -> a
      ['d.ts', ['e.ts']],
      ['e.ts', []],
      ['x/index.ts', ['x/native.ts']],
      ['x/native.ts', ['x/index.ts']], // two-file cycle
      ['self.ts', ['self.ts']],
    ]);
    expect(findCycles(graph)).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['self.ts', 'self.ts'],
      ['x/index.ts', 'x/native.ts', 'x/index.ts'],
    ]);
    expect(findCycles(new Map([['a.ts', ['b.ts', 'c.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toEqual([]);
  });

  test('the lib/ import graph is read from imports, type imports and re-exports', () => {
    const graph = libImportGraph();
    expect(graph.get('index.ts')).toEqual(expect.arrayContaining(['errors.ts', 'search/index.ts', 'codesign/index.ts']));
    expect(graph.get('native.ts')).toEqual(expect.arrayContaining(['circuit/native.ts'])); // `import type`
  });

  test('no import cycles among lib/ files', () => {
    const cycles = findCycles(libImportGraph()).map((c) => c.join(' -> '));
    expect(cycles).toEqual([]);
  });
});
