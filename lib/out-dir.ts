/**
 * Output folders are checked before any work starts, so a run never computes
 * for minutes and then fails on EEXIST or EACCES: the folder is created (with
 * its parents) and a probe file is written and removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCodes, NaxError } from './errors';

/**
 * Creates `dir` if needed and checks it is a folder this process can write.
 * `option` names the setting in the error (e.g. '--out').
 */
export function prepareOutputDir(dir: string, option: string): string {
  const abs = path.resolve(dir);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory())
    throw new NaxError(ErrorCodes.io, `expected a folder for ${option}, got ${abs}, which is ${st.isFile() ? 'a file' : 'not a folder'}; choose another ${option}`);
  try {
    fs.mkdirSync(abs, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOTDIR' ? 'a parent is a file' : e.message;
    throw new NaxError(ErrorCodes.io, `cannot create the ${option} folder ${abs} (${why}); choose another ${option}`, { cause: err });
  }
  const probe = path.join(abs, `.nax-write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? 'not writable' : e.message;
    throw new NaxError(ErrorCodes.io, `cannot write to the ${option} folder ${abs} (${why}); choose another ${option}`, { cause: err });
  }
  return abs;
}

/** Checks that `file` can be written: its folder is writable (created if needed) and the path is not a folder. */
export function prepareOutputFile(file: string, option: string): string {
  const abs = path.resolve(file);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory())
    throw new NaxError(ErrorCodes.io, `expected a file path for ${option}, got ${abs}, which is a folder; choose another ${option}`);
  prepareOutputDir(path.dirname(abs), `${option}'s folder`);
  return abs;
}
