// `acmix-lab demo` (npm run demo): the baseline and an ACmix placement trained side by side on the
// synthetic dataset, per experiments/demo.yaml.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { formatComparison, readCompareConfig, runComparison, writeComparison } from '@acmix-lab/trainer';
import { globalOptions } from '../global-options.js';
import { EpochProgress } from '../progress.js';
import { positiveInt } from './model.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('train YOLOv8n and YOLOv8n + ACmix at P5 on the synthetic dataset and compare mAP, params, GFLOPs')
    .option('--config <file>', 'comparison config', path.join(repoRoot, 'experiments', 'demo.yaml'))
    .option('--epochs <n>', 'override the epochs of every variant', positiveInt)
    .action(async (o: { config: string; epochs?: number }, cmd: Command) => {
      const config = readCompareConfig(o.config);
      const progress = new EpochProgress();
      const backend = globalOptions(cmd).backend;
      const results = await runComparison(config, repoRoot, {
        overrides: { ...(o.epochs ? { epochs: o.epochs } : {}), ...(backend ? { backend: backend as 'tensorflow' | 'cpu' } : {}) },
        log: (line) => console.log(line),
        batch: (p) => progress.update(p),
        epoch: (r) => {
          progress.end();
          console.log(`  val: mAP50 ${r.row['metrics/mAP50(B)'].toFixed(3)}  mAP50-95 ${r.row['metrics/mAP50-95(B)'].toFixed(3)}  (${r.seconds.toFixed(1)} s)`);
        },
      });
      const out = path.join(repoRoot, String(config.train.project ?? 'runs/compare'), 'comparison.json');
      writeComparison(out, results);
      const imgsz = typeof config.train.imgsz === 'number' ? config.train.imgsz : undefined;
      console.log(`\n${formatComparison(results, imgsz)}\n\nSaved to ${out}`);
    });
}
