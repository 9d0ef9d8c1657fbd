// npm run bench:acmix [-- --profile] — this repo's ACmix on the native backend (composed
// TensorFlow.js ops, and the fused native kernels when built) against the official PyTorch module
// (tools/bench/acmix_torch.py, torch with 2 threads), forward and forward+backward, for the
// issue's shapes, in one run. Each measurement runs in its own process so that the peak RSS
// it reports belongs to that shape alone. `-- --profile` prints instead where one layer's
// forward + backward spends its time, per native op, at the seed's shapes (acmix-profile.ts); `-- --ab NAME=VALUE …`
// times that step as is against the step with those environment variables set, alternating (acmix-ab.ts).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ACmix, fusedAttentionUnavailable } from '@acmix-lab/acmix';
import { abACmix } from './acmix-ab.js';
import { profileACmix, type Shape } from './acmix-profile.js';
import { formatTable, recordBenchmark, repoRoot } from './report.js';

interface Timing { fwd: number; fwdBwd: number; fwdCpu: number; fwdBwdCpu: number; peakMiB: number }

const SHAPES: Shape[] = [
  { batch: 8, channels: 64, size: 40 },
  { batch: 8, channels: 128, size: 20 },
  { batch: 8, channels: 256, size: 20 },
  // The seed's version one (experiments/models/yolov8-acmix-neck.yaml) at imgsz 320, batch 16:
  // ACmix after the neck's P3, P4 and P5 outputs.
  { batch: 16, channels: 64, size: 40 },
  { batch: 16, channels: 128, size: 20 },
  { batch: 16, channels: 256, size: 10 },
];
const RUNS = 5;
/** The official module's [fwd, fwd+bwd] ms on this machine when quiet (issue 3, REFERENCE.md), for the first three shapes. */
const REFERENCE: [number, number][] = [[391, 812], [200, 411], [390, 782]];

const peakMiB = () => process.resourceUsage().maxRSS / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median wall ms and median CPU ms (user + system, all threads) after one warm-up run. On a
 * machine shared with other jobs, CPU time is the steadier measure of the work done.
 */
function timeBoth(fn: () => void): [number, number] {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return [median(wall), median(cpu)];
}

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
  const [fwd, fwdCpu] = timeBoth(() => tf.tidy(() => { tf.sum(layer.apply(x) as tf.Tensor).dataSync(); }));
  const [fwdBwd, fwdBwdCpu] = timeBoth(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar, vars);
    tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
  }));
  return { fwd, fwdBwd, fwdCpu, fwdBwdCpu, peakMiB: peakMiB() - base };
}

function runWorker(command: string, args: string[], env: Record<string, string> = {}): Timing {
  const out = execFileSync(command, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!) as Timing;
}

async function main() {
  const ab = process.argv.indexOf('--ab');
  if (ab >= 0) {
    await initBackend('tensorflow');
    console.log(abACmix(SHAPES.filter((s) => s.batch === 16), process.argv.slice(ab + 1)));
    return;
  }
  if (process.argv.includes('--profile')) {
    await initBackend('tensorflow');
    console.log(profileACmix(SHAPES.filter((s) => s.batch === 16)));
    return;
  }
  const worker = process.argv.indexOf('--worker');
  if (worker >= 0) {
    console.log(JSON.stringify(await measureOurs(SHAPES[Number(process.argv[worker + 1])]!)));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
  await initBackend();
  const fusedMissing = fusedAttentionUnavailable();
  const impls: [string, string][] = [['ours, composed tfjs ops', '0'], ...(fusedMissing ? [] : [['ours, fused kernels', '1'] as [string, string]])];
  const rows: (string | number)[][] = [];
  const loadBefore = os.loadavg()[0]!;
  const ms = (wall: number, cpu: number) => `${wall.toFixed(0)} (${cpu.toFixed(0)})`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  for (const [i, s] of SHAPES.entries()) {
    const shape = `${s.batch}×${s.channels}×${s.size}×${s.size}, ACmix(${s.channels})`;
    const torch = runWorker('python3', ['tools/bench/acmix_torch.py', String(s.batch), String(s.channels), String(s.size), String(s.size), String(RUNS)]);
    rows.push([shape, 'official (PyTorch)', ms(torch.fwd, torch.fwdCpu), ms(torch.fwdBwd, torch.fwdBwdCpu), '', '', torch.peakMiB.toFixed(0)]);
    for (const [name, fused] of impls) {
      const ours = runWorker(tsx, [self, '--worker', String(i)], { ACMIX_LAB_FUSED: fused });
      rows.push(['', name, ms(ours.fwd, ours.fwdCpu), ms(ours.fwdBwd, ours.fwdBwdCpu),
        `${ratio(torch.fwdBwd, ours.fwdBwd)} (${ratio(torch.fwdBwdCpu, ours.fwdBwdCpu)})`,
        REFERENCE[i] ? ratio(REFERENCE[i][1], ours.fwdBwd) : '', ours.peakMiB.toFixed(0)]);
    }
    console.error(`done ${shape}`);
  }
  const table = formatTable(['input (NCHW), layer', 'implementation', 'fwd ms (CPU ms)', 'fwd+bwd ms (CPU ms)',
    'fwd+bwd speed-up (by CPU)', 'vs quiet official fwd+bwd', 'peak RSS MiB'], rows);
  const note = 'Official: the LeapLabTHU/ACmix module from the seed, PyTorch with 2 threads, forward under no_grad. ' +
    'Ours: @acmix-lab/acmix on native TensorFlow (tfjs-node), with its composed TensorFlow.js attention and ' +
    `dense conv path, and with the fused native kernels${fusedMissing ? ` (not measured: ${fusedMissing})` : ''}. ` +
    `Times are "wall ms (CPU ms of all threads)", medians of ${RUNS} runs after one warm-up. fwd+bwd = gradients of ` +
    'the input and every parameter for a random grad_output. Speed-up = official / ours, by wall time (by CPU time). ' +
    '"vs quiet official" divides the official fwd+bwd measured on this machine when idle (812, 411, 782 ms) by ours ' +
    'from this run. Peak RSS = growth of the process peak resident set over the timed runs (each shape and ' +
    'implementation in its own process). Everything shares 2 cores with whatever else runs: under load ' +
    'PyTorch\'s thread pool degrades far more than TensorFlow\'s, so ratios taken under load overstate the speed-up.';
  const load = `Load average (1 min) on the 2 cores: ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end.`;
  console.log(`${table}\n\n${load}\n\n${note}`);
  recordBenchmark('bench:acmix', 'npm run bench:acmix', `${table}\n\n${load}\n\n${note}`);
}

await main();
