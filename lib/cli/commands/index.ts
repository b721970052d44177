import type { CommandModule } from 'yargs';
import { infoCommand } from './info';
import { trainCommand } from './train';
import { costCommand } from './cost';
import { evalCommand } from './eval';
import { sweepCommand } from './sweep';
import { evolveCommand } from './evolve';
import { workerCommand } from './worker';

/** Every CLI command, one per file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [evolveCommand, workerCommand, infoCommand, costCommand, evalCommand, trainCommand, sweepCommand];
