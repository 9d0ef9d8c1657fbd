// `acmix-lab runs [--sweep NAME] [--db FILE] [--json] [--group]`: the runs in the database, or variants over
// seeds against their baseline; `acmix-lab runs import DIR…`: Ultralytics run folders (args.yaml +
// results.csv, e.g. PyTorch's runs/detect/train3) stored as runs, to compare in the same table.
import type { Command } from 'commander';
import { formatGroups, formatRuns } from '@acmix-lab/orchestrator';
import { DEFAULT_DB_PATH, IMPORT_SWEEP, importUltralyticsRun, openReader, openStore } from '@acmix-lab/store';

interface RunsFlags {
  sweep?: string;
  db: string;
  json?: boolean;
  group?: boolean;
}

export function registerRunsCommand(program: Command): void {
  const runs = program
    .command('runs')
    .description('list the runs of the database (best epoch by fitness), or --group them by variant over seeds against the baseline')
    .option('--sweep <name>', `only this sweep; with import, the sweep to file the runs under (default ${IMPORT_SWEEP})`)
    .option('--db <file>', 'the runs database', DEFAULT_DB_PATH)
    .option('--json', 'print a JSON array (NaN and infinities as null)')
    .option('--group', "variants over seeds: n, mean ± std, and the difference from the sweep's baseline with its 95% interval (Welch's t)")
    .action((flags: RunsFlags) => {
      const reader = openReader(flags.db);
      try {
        const show = <T>(rows: T[], table: (rows: T[]) => string) => console.log(flags.json ? JSON.stringify(rows, null, 2)
          : rows.length > 0 ? table(rows) : `no ${flags.group ? 'completed ' : ''}runs${flags.sweep ? ` in sweep ${flags.sweep}` : ''} in ${flags.db}`);
        if (flags.group) show(reader.groupRuns({ sweep: flags.sweep }), formatGroups);
        else show(reader.listRuns({ sweep: flags.sweep }), formatRuns);
      } finally {
        reader.close();
      }
    });
  // --db and --sweep are the parent's: commander hands options after the subcommand to `runs` as well.
  runs
    .command('import')
    .description(`store Ultralytics run folders (args.yaml + results.csv, PyTorch or acmix-lab) as completed runs (--db and --sweep NAME, default ${IMPORT_SWEEP}, as for runs)`)
    .argument('<dirs...>', 'run folders, e.g. runs/detect/train3')
    .action((dirs: string[], _flags: unknown, cmd: Command) => {
      const { db, sweep = IMPORT_SWEEP } = cmd.optsWithGlobals<RunsFlags>();
      const store = openStore(db);
      try {
        for (const dir of dirs) {
          const run = importUltralyticsRun(store, dir, { sweep });
          console.log(`imported ${dir} as run ${run.id}: ${run.name} (sweep ${run.sweep}, seed ${run.seed}, ${run.epoch} epochs, ${run.backend})`);
        }
      } finally {
        store.close();
      }
    });
}
