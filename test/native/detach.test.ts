/**
 * Memory safety at the N-API boundary: a caller that transfers (detaches) a typed array's buffer
 * while an async native call runs must never crash the process. Inputs are copied when the call
 * starts; outputs written in place are copied back at the end, and an output detached meanwhile
 * rejects the call with a NaxError. Pinned (addon-owned, external) arrays are used in place, the
 * work holding their memory; Node cannot detach them (a transfer copies), so those calls complete. Every async entry is tried, in the main thread and in a
 * worker_threads Worker, in a child process so a crash is seen as a signal.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const child = path.join(__dirname, 'detach-child.ts');

function run(mode: 'main' | 'worker') {
  const r = spawnSync(process.execPath, ['--expose-gc', '--require', require.resolve('tsx/cjs'), child, mode], { encoding: 'utf8', timeout: 300_000 });
  return { signal: r.signal, status: r.status, lines: (r.stdout ?? '').trim().split('\n'), stderr: r.stderr };
}

jest.setTimeout(600_000);

describe.each(['main', 'worker'] as const)('detached buffers during async native calls (%s thread)', (mode) => {
  const r = run(mode);

  it('never crash the process', () => {
    expect({ signal: r.signal, status: r.status, stderr: r.stderr.slice(-2000) }).toEqual({ signal: null, status: 0, stderr: expect.any(String) });
    expect(r.lines.length).toBe(22);
  });

  it('inputs detached mid-run: the call completes on its own copy', () => {
    for (const line of r.lines.filter((l) => !/output|in place|pinned/.test(l))) expect(line).toMatch(/: ok$/);
  });

  it('outputs detached mid-run: a NaxError naming the array, the result dropped', () => {
    const outs = r.lines.filter((l) => /output|in place/.test(l) && !/pinned/.test(l));
    expect(outs.length).toBe(4);
    for (const line of outs) expect(line).toMatch(/NaxError ERR_NAX_INVALID_ARGUMENT expected (c|output|data) to stay attached/);
  });

  it('pinned arrays cannot be detached (a transfer copies them): used in place, the calls complete', () => {
    const pinned = r.lines.filter((l) => /pinned/.test(l));
    expect(pinned.length).toBe(3);
    for (const line of pinned) expect(line).toMatch(/: ok \(still attached\)$/);
  });
});
