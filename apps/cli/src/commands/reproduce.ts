// `acmix-lab reproduce RUN_ID [--db FILE]`: the stored run trained again from its model yaml, config and seed
// (packages/orchestrator reproduceRun) as a new run that `reproduces` it, then every metric compared.
import type { Command } from 'commander';
import { formatReproduction, reproduceRun } from '@acmix-lab/orchestrator';
import { DEFAULT_DB_PATH } from '@acmix-lab/store';
import { CommandExit } from '../errors.js';
import { SweepProgress } from '../progress.js';
import { positiveInt } from './model.js';

export function registerReproduceCommand(program: Command): void {
  program
    .command('reproduce')
    .description('train a stored run again from its model yaml, config and seed, and print how each metric differs')
    .argument('<run>', 'the run id (acmix-lab runs)', positiveInt)
    .option('--db <file>', 'the runs database', DEFAULT_DB_PATH)
    .action(async (runId: number, flags: { db: string }) => {
      const display = new SweepProgress();
      let result: Awaited<ReturnType<typeof reproduceRun>>;
      try {
        result = await reproduceRun(flags.db, runId, {
          observer: { notice: (line) => display.notice(line), message: (slot, m, run) => display.message(slot, m, run), progress: (p) => display.progress(p) },
        });
      } finally {
        display.end();
      }
      const { copy } = result;
      if (copy.status === 'failed') throw new CommandExit(`run ${copy.id} (the reproduction of run ${runId}) failed: ${copy.error}`, 1);
      if (result.interrupted) throw new CommandExit(`interrupted: run ${copy.id} (the reproduction of run ${runId}) is left queued`, 130);
      console.log(`run ${copy.id} reproduces run ${runId} (${copy.name}, seed ${copy.seed}, ${copy.epoch} epochs):\n`);
      console.log(formatReproduction(result));
      console.log(result.identical
        ? `\nidentical: every metric of every epoch is equal`
        : `\ndifferent: the largest difference is ${Math.max(...result.metrics.map((m) => m.maxAbsDifference))} (other backend, thread count or nondeterministic ops?)`);
    });
}
