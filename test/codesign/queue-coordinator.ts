/**
 * A coordinator process for the queue tests: evolve({ ...tiny(outDir), queue, resume }) with one
 * line per outcome ("outcome N") so a test can kill it mid-generation.
 *   tsx test/codesign/queue-coordinator.ts OUTDIR REDIS_URL [--resume]
 */
import { evolve } from '../../lib/codesign/evolve';
import { tiny } from './tiny-evolve';

async function main(): Promise<void> {
  const [outDir, url, flag] = process.argv.slice(2);
  let outcomes = 0;
  await evolve({
    ...tiny(outDir),
    queue: { url, password: process.env.NAX_QUEUE_PASSWORD },
    resume: flag === '--resume',
    onProgress: (e) => {
      if (e.phase === 'search' && /done, \d+ queued/.test(e.message)) console.log(`outcome ${++outcomes} ${e.message}`);
    },
    log: (line) => console.log(line),
  });
  console.log('coordinator finished');
}

main().catch((err) => {
  console.error(`coordinator failed: ${err.message}`);
  process.exitCode = 1;
});
