#!/usr/bin/env node
/** CLI entry: one yargs command per file in lib/cli/commands. */
import { buildCli } from './index';

buildCli(process.argv.slice(2))
  .parseAsync()
  .catch((err: unknown) => {
    const e = err as { name?: string; code?: string; message?: string };
    process.stderr.write(`nax-native: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
    process.exitCode = 1;
  });
