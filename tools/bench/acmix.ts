// npm run bench:acmix — this repo's ACmix on the native backend against the official PyTorch
// module (tools/bench/acmix_torch.py, torch with 2 threads), forward and forward+backward, for
// the shapes, in one run. Each measurement runs in its own process so that the peak RSS
// it reports belongs to that shape alone.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ACmix } from '@acmix-lab/acmix';
import { formatTable, recordBenchmark, repoRoot, timeMs } from './report.js';

interface Shape { batch: number; channels: number; size: number }
interface Timing { fwd: number; fwdBwd: number; peakMiB: number }

const SHAPES: Shape[] = [
  { batch: 8, channels: 64, size: 40 },
  { batch: 8, channels: 128, size: 20 },
  { batch: 8, channels: 256, size: 20 },
];
const RUNS = 5;

const peakMiB = () => process.resourceUsage().maxRSS / 1024;

/** Worker: times ACmix(C → C) on one shape; prints a JSON Timing. */
async function measureOurs({ batch, channels, size }: Shape): Promise<Timing> {
  await initBackend('tensorflow');
  const layer = new ACmix({ outPlanes: channels });
  const x = tf.variable(tf.randomNormal([batch, size, size, channels]));
  const gy = tf.randomNormal([batch, size, size, channels]);
  layer.build(x.shape);
  const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
  const base = peakMiB();
  // Reading back a scalar forces completion without timing a copy of the output into JS.
  const fwd = await timeMs(() => tf.tidy(() => tf.sum(layer.apply(x) as tf.Tensor).dataSync()), { runs: RUNS });
  const fwdBwd = await timeMs(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar, vars);
    tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
  }), { runs: RUNS });
  return { fwd, fwdBwd, peakMiB: peakMiB() - base };
}

function runWorker(command: string, args: string[]): Timing {
  const out = execFileSync(command, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Timing;
}

async function main() {
  const worker = process.argv.indexOf('--worker');
  if (worker >= 0) {
    console.log(JSON.stringify(await measureOurs(SHAPES[Number(process.argv[worker + 1])]!)));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
  const rows: (string | number)[][] = [];
  for (const [i, s] of SHAPES.entries()) {
    const torch = runWorker('python3', ['tools/bench/acmix_torch.py', String(s.batch), String(s.channels), String(s.size), String(s.size), String(RUNS)]);
    const ours = runWorker(tsx, [self, '--worker', String(i)]);
    rows.push([`${s.batch}×${s.channels}×${s.size}×${s.size}`, `ACmix(${s.channels})`,
      torch.fwd.toFixed(0), ours.fwd.toFixed(1), `${(torch.fwd / ours.fwd).toFixed(1)}×`,
      torch.fwdBwd.toFixed(0), ours.fwdBwd.toFixed(1), `${(torch.fwdBwd / ours.fwdBwd).toFixed(1)}×`,
      torch.peakMiB.toFixed(0), ours.peakMiB.toFixed(0)]);
    console.error(`done ${rows.at(-1)![0]}`);
  }
  const table = formatTable(['input (NCHW)', 'layer', 'official fwd ms', 'ours fwd ms', 'fwd speed-up',
    'official fwd+bwd ms', 'ours fwd+bwd ms', 'fwd+bwd speed-up', 'official peak RSS MiB', 'ours peak RSS MiB'], rows);
  const note = `Official: LeapLabTHU/ACmix module from the seed, PyTorch with 2 threads, forward under no_grad. ` +
    `Ours: @acmix-lab/acmix on native TensorFlow (tfjs-node). Median of ${RUNS} runs after one warm-up; ` +
    'fwd+bwd = gradients of the input and every parameter for a random grad_output. Peak RSS = growth of the ' +
    'process peak resident set over the timed runs (each shape and implementation in its own process). ' +
    'Both run on the same 2 shared cores, interleaved per shape: absolute times move with other load, the ratios less.';
  console.log(`${table}\n\n${note}`);
  recordBenchmark('bench:acmix', 'npm run bench:acmix', `${table}\n\n${note}`);
}

await main();
