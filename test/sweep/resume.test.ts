/** sweep --resume: refuses a folder with no checkpoint of its own, or one from other settings, before any work. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sweepHandler } from '../../lib/cli/commands/sweep';
import { writeOnnxFile } from '../../lib/onnx/writer';
import { leNet } from '../runtime/models';

jest.setTimeout(120_000);

test('--resume needs --out and a checkpoint of the same sweep; a finished checkpoint resumes to the same rows', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-sweep-resume-'));
  const model = path.join(dir, 'lenet.onnx');
  writeOnnxFile(model, leNet());
  const args = { model, sizes: '16,32', limit: 40, calibration: 32, batchSize: 40, out: path.join(dir, 'out') };
  await expect(sweepHandler({ ...args, out: undefined, resume: true })).rejects.toMatchObject({ code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringContaining('--out') });
  await expect(sweepHandler({ ...args, resume: true })).rejects.toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/holds no sweep of its own/) });
  const first = await sweepHandler(args);
  expect(fs.existsSync(path.join(dir, 'out', 'sweep-checkpoint.json'))).toBe(true);
  await expect(sweepHandler({ ...args, sizes: '16,64', resume: true })).rejects.toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/other settings for sizes/) });
  const again = await sweepHandler({ ...args, resume: true });
  expect(again.rows).toEqual(first.rows); // every size taken from the checkpoint, timings included
  const file = path.join(dir, 'out', 'sweep-checkpoint.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"size":16', '"size":17'));
  await expect(sweepHandler({ ...args, resume: true })).rejects.toMatchObject({ code: 'ERR_NAX_IO', message: expect.stringMatching(/sweep-checkpoint\.json is corrupt/) });
});
