/** evolve's report.html: the cost-model sensitivity section (issue 12). */
import { sensitivitySection } from '../../lib/codesign/html-report';
import type { EvolveResults } from '../../lib/codesign';
import { costSensitivity, resolveHardware, resnetCifarLayers } from '../../lib/hardware';

function resultsWith(costLayers: unknown[], crossbars = [16, 32, 64, 128]): EvolveResults {
  return {
    finals: [{ name: 'chosen', costLayers }],
    config: { crossbars, device: { inputBits: 8 }, hardware: resolveHardware({ template: 'isaac' }) },
  } as unknown as EvolveResults;
}

test("the chosen model's layers re-costed at each searched size, under the run's hardware and one changed assumption per row", async () => {
  const layers = resnetCifarLayers();
  const costLayers = layers.map((l) => ({ layer: l.name, k: l.k, n: l.n, outputPixels: l.outputPixels, groups: 1, signedInput: false, arrays: 0, utilization: 0, adcBits: 0, energyJoules: 0, latencySeconds: 0, areaMm2: 0 }));
  const section = await sensitivitySection(resultsWith(costLayers));
  const expected = costSensitivity(layers, [16, 32, 64, 128], { mapping: { default: { inputBits: 8 } }, hardware: { template: 'isaac' } });
  expect(section.table!.rows).toHaveLength(expected.rows.length);
  expect(section.table!.rows[0]).toEqual(['base', 'base (isaac)', ...expected.rows[0].relative.map((r) => r.toFixed(2)), `${expected.rows[0].ranking[0]}x${expected.rows[0].ranking[0]}`, expected.rows[0].ranking.join(' < ')]);
  expect(section.svg?.startsWith('<svg')).toBe(true);
  expect(section.text).toMatch(/template isaac/);
});

test('results.json written before the per-layer shapes: a note, no error', async () => {
  const section = await sensitivitySection(resultsWith([{ layer: 'conv1', arrays: 8, utilization: 1, adcBits: 8, energyJoules: 1, latencySeconds: 1, areaMm2: 1 }]));
  expect(section.text).toMatch(/predates/);
  expect(section.table).toBeUndefined();
});
