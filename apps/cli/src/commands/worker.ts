// `acmix-lab worker --queue redis://HOST:PORT --checkpoints DIR [--concurrency N] [--data-map FROM=TO…]`: trains
// runs that sweeps started with `--queue` put on the queue, on this machine, until Ctrl-C (packages/orchestrator
// serveQueue).
import type { Command } from 'commander';
import { DEFAULT_STALLED_AFTER_MS, serveQueue } from '@acmix-lab/orchestrator';
import { CommandExit } from '../errors.js';
import { globalOptions } from '../global-options.js';
import { positiveInt } from './model.js';

interface WorkerFlags {
  queue: string;
  checkpoints: string;
  concurrency: number;
  threads?: number;
  stalledAfter: number;
  dataMap: string[];
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('train runs from a sweep queue (`acmix-lab sweep --queue`) on this machine until Ctrl-C')
    .requiredOption('--queue <url>', 'redis://HOST:PORT, the same as the sweep\'s')
    .requiredOption('--checkpoints <dir>', 'the shared folder run folders and checkpoints go in: the same folder (a shared mount) on every worker')
    .option('--concurrency <n>', 'runs trained at once, each in its own process with an equal share of the CPU threads', positiveInt, 1)
    .option('--threads <n>', 'TensorFlow threads per run (default: an equal share)', positiveInt)
    .option('--stalled-after <seconds>', 'a run whose worker gave no sign of life for this long is handed to another worker (longer than a batch takes)',
      positiveInt, DEFAULT_STALLED_AFTER_MS / 1000)
    .option('--data-map <from=to>', 'the coordinator\'s dataset folder FROM is TO on this machine (repeatable; the longest FROM wins)',
      (value: string, previous: string[]) => [...previous, value], [])
    .action(async (flags: WorkerFlags, cmd: Command) => {
      const code = await serveQueue({
        url: flags.queue, checkpoints: flags.checkpoints, concurrency: flags.concurrency, threads: flags.threads,
        stalledAfterMs: flags.stalledAfter * 1000, backend: globalOptions(cmd).backend,
        dataMap: flags.dataMap,
      });
      if (code !== 0) throw new CommandExit(code === 130 ? 'stopped' : `a worker process exited with code ${code}`, code);
    });
}
