// npx tsx tools/bench/concat-split.ts [--rounds 20] — the concatenations and splits of a YOLOv8n training step
// (batch 16, imgsz 320: C2f, SPPF, the neck's Concat; each one's gradient is the other) by TensorFlow's ConcatV2 and
// SplitV (tfjs-node's stock kernels) and by native/concat_split.cc (@acmix-lab/acmix useNativeConcatSplit), each
// against a plain copy of as many bytes (AcmixLabFlatConcat: one memcpy); alternating ABBA in this process, medians
// of wall and CPU time, GB/s counting the bytes read and written.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { concatFlat, useNativeConcatSplit } from '@acmix-lab/acmix';
import { alternateMs, flag, formatTable } from './report.js';

await initBackend('tensorflow');
const ROUNDS = flag('rounds', 20);
const REPEAT = 10; // ops per timed run, so one run is well above the timer's and the scheduler's grain

const map = (size: number, c: number, seed = 0) => tf.randomNormal([16, size, size, c], 0, 1, 'float32', seed);

interface Case { name: string; inputs: tf.Tensor[]; op: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }

/** Concat along channels of parts of `channels` at size × size, and the split of the whole back into them. */
function concatAndSplit(what: string, channels: number[], size: number): Case[] {
  const parts = channels.map((c, i) => map(size, c, i));
  const whole = tf.concat(parts, -1);
  const label = `${what} ${size}×${size} (${channels.join(' + ')})`;
  return [
    { name: `concat: ${label}`, inputs: parts, op: (xs) => tf.concat(xs, -1) },
    { name: `split: ${label}`, inputs: [whole], op: ([x]) => tf.split(x!, channels, -1) },
  ];
}

const CASES: Case[] = [
  ...concatAndSplit('C2f', [32, 16], 80),
  ...concatAndSplit('C2f', [64, 32, 32], 40),
  ...concatAndSplit('neck', [128, 64], 40),
  ...concatAndSplit('C2f', [128, 64, 64], 20),
  ...concatAndSplit('neck', [256, 128], 20),
  ...concatAndSplit('SPPF', [64, 64, 64, 64], 10),
];

const rows: (string | number)[][] = [];
let totals = { stock: 0, native: 0 };
for (const c of CASES) {
  const out = tf.tidy(() => [c.op(c.inputs)].flat());
  const outSize = out.reduce((n, t) => n + t.size, 0);
  const bytes = (c.inputs.reduce((n, t) => n + t.size, 0) + outSize) * 4;
  const sameBytes = [tf.zeros([bytes / 8])]; // read and written: as many bytes as the op moves
  tf.dispose(out);
  const timed = (f: () => tf.Tensor | tf.Tensor[]) => () => { for (let i = 0; i < REPEAT; i++) tf.dispose(f()); };
  const withKernels = (on: boolean) => () => { useNativeConcatSplit(on); timed(() => c.op(c.inputs))(); };
  const t = alternateMs({ stock: withKernels(false), native: withKernels(true), memcpy: timed(() => concatFlat(sameBytes)) }, ROUNDS);
  const cell = (k: keyof typeof t) => `${(t[k].wall / REPEAT).toFixed(2)} (${(t[k].cpu / REPEAT).toFixed(2)}) ${(bytes * REPEAT / t[k].wall / 1e6).toFixed(1)}`;
  rows.push([c.name, (bytes / 2 ** 20).toFixed(1), cell('stock'), cell('native'), cell('memcpy'), (t.stock.cpu / t.native.cpu).toFixed(2)]);
  totals = { stock: totals.stock + t.stock.cpu, native: totals.native + t.native.cpu };
  tf.dispose([...c.inputs, ...sameBytes]);
}
useNativeConcatSplit(false);
console.log(formatTable(['op and shapes (batch 16, NHWC, along channels)', 'MiB moved', 'TensorFlow ms (CPU) GB/s', 'native', 'memcpy of the same bytes', 'speed-up (CPU)'], rows));
console.log(`\nall: TensorFlow ÷ native CPU time ${(totals.stock / totals.native).toFixed(2)} · medians of ${ROUNDS} rounds ABBA, ${REPEAT} ops each · load ${os.loadavg()[0]!.toFixed(1)}`);
