// `acmix-lab sweep SWEEP.yaml [--workers N] [--db FILE] [--queue redis://HOST:PORT]`: the sweep's runs
// trained in worker processes, or by `acmix-lab worker`s taking them from a queue (packages/orchestrator
// runSweep), a live line per worker, then the outcome and the variants compared with the baseline. Ctrl-C
// stops local workers at their next batch (a second Ctrl-C quits at once); a queue's workers go on. The
// same command continues the sweep. Failed runs make it exit 1, an interruption 130.
import type { Command } from 'commander';
import { DEFAULT_WORKERS, formatGroups, formatOutcome, runSweep, type SweepOptions } from '@acmix-lab/orchestrator';
import { DEFAULT_DB_PATH, openReader } from '@acmix-lab/store';
import { CommandExit } from '../errors.js';
import { globalOptions } from '../global-options.js';
import { SweepProgress } from '../progress.js';
import { nonNegativeInt, positiveInt } from './model.js';

export interface SweepFlags {
  workers: number;
  db: string;
  retryFailed?: boolean;
  maxRetries: number;
  queue?: string;
}

/** Adds the flags `sweep` and `demo` share. */
export function addSweepFlags(cmd: Command): Command {
  return cmd
    .option('--workers <n>', 'worker processes, each with an equal share of the CPU threads (fastest here: docs/benchmarks.md, bench:sweep)', positiveInt, DEFAULT_WORKERS)
    .option('--db <file>', 'the runs database', DEFAULT_DB_PATH)
    .option('--retry-failed', "queue the sweep's failed runs again (after fixing their cause)")
    .option('--max-retries <n>', 'times a run whose worker died is resumed before it is failed', nonNegativeInt, 2)
    .option('--queue <url>', 'redis://HOST:PORT: put the runs on this queue for `acmix-lab worker`s (any machine) instead of training them here (--workers is then unused)');
}

/** Runs the sweep with a live display, prints the outcome and the comparison; throws CommandExit on failures. */
export async function sweepAction(file: string, flags: SweepFlags, cmd: Command, cwd?: string): Promise<void> {
  const display = new SweepProgress();
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    display.notice(flags.queue ? 'stopping: the queue\'s workers go on; the same command re-attaches to the sweep'
      : 'stopping: each worker finishes its batch and leaves its run to resume (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const options: SweepOptions = {
    dbFile: flags.db, workers: flags.workers, maxRetries: flags.maxRetries, retryFailed: flags.retryFailed, queue: flags.queue, cwd,
    backend: globalOptions(cmd).backend, signal: stop.signal,
    observer: {
      log: (line) => display.notice(line),
      notice: (line) => display.notice(line),
      message: (slot, m, run) => display.message(slot, m, run),
      progress: (p) => display.progress(p),
    },
  };
  let result: Awaited<ReturnType<typeof runSweep>>;
  try {
    result = await runSweep(file, options);
  } finally {
    display.end();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  console.log(`\n${formatOutcome(result.runs)}`);
  const reader = openReader(flags.db);
  try {
    const groups = reader.groupRuns({ sweep: result.sweep.name });
    if (groups.length > 0) console.log(`\n${formatGroups(groups)}`);
  } finally {
    reader.close();
  }
  console.log(`\nEvery run: acmix-lab runs --sweep ${result.sweep.name} --db ${flags.db}\nIn the browser: acmix-lab dashboard --db ${flags.db}`);
  if (result.interrupted) throw new CommandExit('interrupted: run the same command to continue the sweep', 130);
  const failed = result.runs.filter((r) => r.status === 'failed').length;
  if (failed > 0) throw new CommandExit(`${failed} of ${result.runs.length} runs failed (listed above)`, 1);
}

export function registerSweepCommand(program: Command): void {
  addSweepFlags(program
    .command('sweep')
    .description('train every run of a sweep file (variants × grid × seeds) in worker processes, logging each epoch to the database; again to continue it')
    .argument('<sweep>', 'sweep yaml (experiments/sweeps/*.yaml); its paths are relative to the working directory'))
    .action((file: string, flags: SweepFlags, cmd: Command) => sweepAction(file, flags, cmd));
}
