/** Reading a user's JSON file (mappings, device and hardware configs, layer lists) with one error shape. */
import * as fs from 'fs';
import { ErrorCodes, NaxError } from './errors';

/**
 * Parses the JSON file at `file`. `what` names it in errors ("mapping file", "--device"):
 * ERR_NAX_IO when it cannot be read, ERR_NAX_CONFIG when it is not JSON.
 */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new NaxError(ErrorCodes.io, `could not read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NaxError(ErrorCodes.config, `expected JSON in ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}
