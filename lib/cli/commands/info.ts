import type { CommandModule } from 'yargs';
import * as os from 'os';
import { callNativeSync, loadAddon } from '../../native';
import { sharedOptions } from '../flags';

export interface InfoResult {
  node: string;
  napi: number;
  threads: number;
  cpu: string;
}

export function infoHandler(): InfoResult {
  const v = callNativeSync(() => loadAddon().version());
  return { node: process.version, napi: v.napi, threads: v.threads, cpu: os.cpus()[0]?.model ?? 'unknown' };
}

export const infoCommand: CommandModule<object, { json?: boolean }> = {
  command: 'info',
  describe: 'Show the native addon, thread count and machine',
  builder: (y) => y.option('json', sharedOptions.json) as never,
  handler: (args) => {
    const info = infoHandler();
    if (args.json) console.log(JSON.stringify(info, null, 2));
    else console.table(info);
  },
};
