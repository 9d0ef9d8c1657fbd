// `acmix-lab demo` (npm run demo): the demo sweep, experiments/sweeps/demo.yaml, on the synthetic dataset
// (generated when absent): the baseline, the seed's two ACmix placements, one in the backbone and one
// inside residual connections, over seeds, ending with the comparison against the baseline.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { addSweepFlags, sweepAction, type SweepFlags } from './sweep.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function registerDemoCommand(program: Command): void {
  addSweepFlags(program
    .command('demo')
    .description('the demo sweep (experiments/sweeps/demo.yaml): YOLOv8n and four ACmix placements over seeds on the synthetic dataset, compared with statistics'))
    .action((flags: SweepFlags, cmd: Command) => sweepAction(path.join(repoRoot, 'experiments', 'sweeps', 'demo.yaml'), flags, cmd, repoRoot));
}
