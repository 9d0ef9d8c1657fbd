// `acmix-lab dashboard [--db FILE] [--host 127.0.0.1] [--port 0]`: the browser dashboard over the
// runs database, read-only (safe while a sweep writes). Prints its URL, serves until Ctrl-C.
import { InvalidArgumentError, type Command } from 'commander';
import { startDashboard } from '@acmix-lab/dashboard';
import { DEFAULT_DB_PATH } from '@acmix-lab/store';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got "${value}"`);
  return n;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('compare runs and placements in the browser; prints its URL')
    .option('--db <file>', 'the runs database', DEFAULT_DB_PATH)
    .option('--host <address>', 'address to listen on; anything but loopback shows your runs to the network', '127.0.0.1')
    .option('--port <n>', 'port; 0 takes a free one', port, 0)
    .action(async (opts: { db: string; host: string; port: number }) => {
      const dashboard = await startDashboard(opts);
      console.log(dashboard.url);
      process.stderr.write(`acmix-lab dashboard: ${opts.db}, read-only; Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await dashboard.close();
    });
}
