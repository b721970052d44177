#!/usr/bin/env node
/** CLI entry: one yargs command per file in lib/cli/commands. */
import { buildCli } from './index';

async function main(): Promise<void> {
  try {
    // yargs' validation failures (unknown flags, bad choices) throw
    // synchronously from parseAsync, handler errors reject: catch both.
    await buildCli(process.argv.slice(2)).parseAsync();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`nax-native: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
    if (process.env.NAX_DEBUG && (err as Error).stack) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
}

void main();
