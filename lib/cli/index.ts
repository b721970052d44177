import yargs, { Argv } from 'yargs';
import { commands } from './commands';
import { parseMemorySize, setMemoryLimit } from '../memory';

/** Builds the yargs parser (exported for tests: parse without a process). */
export function buildCli(argv: string[]): Argv {
  let cli = yargs(argv)
    .scriptName('nax-native')
    .strict()
    .demandCommand(1, 'choose a command (see --help)')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .option('max-memory', {
      type: 'string',
      global: true,
      describe: 'memory limit for up-front checks, e.g. 16G (default: 90% of the machine or cgroup; env NAX_MAX_MEMORY)',
    })
    .middleware((args) => {
      if (args.maxMemory !== undefined) setMemoryLimit(parseMemorySize('--max-memory', args.maxMemory));
    })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new Error(`${msg}\nRun \`nax-native --help\` for usage.`);
    });
  for (const command of commands) cli = cli.command(command as never);
  return cli;
}
