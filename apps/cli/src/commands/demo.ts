// `acmix-lab demo` (npm run demo): the demo sweep, experiments/sweeps/demo.yaml, on the synthetic dataset
// (generated when absent): the baseline, the seed's two ACmix placements, one in the backbone and one
// inside residual connections, over seeds, ending with the comparison against the baseline.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { addSweepFlags, sweepAction, type SweepFlags } from './sweep.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The demo trains at 64 px, where a step is mostly fixed per-step cost that one thread does as well as two:
 * two workers × one thread trained 1.46× the images/s of one × two there (bench:sweep --imgsz 64), while at
 * 128 px one worker is faster (the sweep command's default).
 */
const DEMO_WORKERS = 2;

export function registerDemoCommand(program: Command): void {
  addSweepFlags(program
    .command('demo')
    .description('the demo sweep (experiments/sweeps/demo.yaml): YOLOv8n and four ACmix placements over seeds on the synthetic dataset, compared with statistics'), DEMO_WORKERS)
    .action((flags: SweepFlags, cmd: Command) => sweepAction(path.join(repoRoot, 'experiments', 'sweeps', 'demo.yaml'), flags, cmd, repoRoot));
}
