/**
 * Writing an evolve run to its output folder: results.json, report.html and models/. Apart from
 * ./results.ts (the results format) so the report renderer can read that format without a cycle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../search/checkpoint';
import { renderEvolveReport } from './html-report';
import type { EvolveResults, FinalModel } from './results';

/** results.json, report.html and models/ (ONNX + mapping JSON per final model; one ONNX for the baselines). */
export async function writeOutputs(outDir: string, results: EvolveResults, models: FinalModel[], modelsDir = path.join(outDir, 'models')): Promise<void> {
  fs.mkdirSync(modelsDir, { recursive: true });
  let baselineWritten = false;
  for (const m of models) {
    const stem = m.role === 'baseline' ? 'baseline' : m.name;
    if (m.role !== 'baseline' || !baselineWritten) {
      fs.writeFileSync(path.join(modelsDir, `${stem}.onnx.tmp`), m.onnx);
      fs.renameSync(path.join(modelsDir, `${stem}.onnx.tmp`), path.join(modelsDir, `${stem}.onnx`));
      baselineWritten ||= m.role === 'baseline';
    }
    await writeFileAtomic(path.join(modelsDir, `${m.name}.mapping.json`), JSON.stringify(m.mapping, null, 2) + '\n');
  }
  await writeFileAtomic(path.join(outDir, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  await writeFileAtomic(path.join(outDir, 'report.html'), await renderEvolveReport(results));
}
