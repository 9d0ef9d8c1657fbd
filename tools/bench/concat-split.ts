// npx tsx tools/bench/concat-split.ts [--rounds 20] — the concatenations and splits of a YOLOv8n training step
// (batch 16, imgsz 320; C2f, SPPF, the neck's Concat, Detect) by TensorFlow's ConcatV2 / SplitV (tfjs-node's stock
// kernels) and by native/concat_split.cc (@acmix-lab/acmix useNativeConcatSplit), each against a plain copy of the
// same bytes (AcmixLabFlatConcat of the same parts: one memcpy per part); alternating ABBA in this process, medians
// of wall and CPU time, GB/s counting the bytes read and written.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { concatFlat, useNativeConcatSplit } from '@acmix-lab/acmix';
import { alternateMs, flag, formatTable } from './report.js';

await initBackend('tensorflow');
const ROUNDS = flag('rounds', 20);
const REPEAT = 10; // ops per timed run, so one run is well above the timer's and the scheduler's grain

/** [name, channels of each part, map size]: batch 16, NHWC, concatenated along channels. */
const SHAPES: [string, number[], number][] = [
  ['C2f 80×80 (32 + 16)', [32, 16], 80],
  ['C2f 40×40 (64 + 32 + 32)', [64, 32, 32], 40],
  ['neck 40×40 (128 + 64)', [128, 64], 40],
  ['C2f 40×40 neck (64 + 32)', [64, 32], 40],
  ['C2f 20×20 (128 + 64 + 64)', [128, 64, 64], 20],
  ['neck 20×20 (256 + 128)', [256, 128], 20],
  ['SPPF 10×10 (4 × 64)', [64, 64, 64, 64], 10],
];

const rows: (string | number)[][] = [];
let totals = { stock: 0, native: 0 };
for (const [name, channels, size] of SHAPES) {
  const parts = channels.map((c, i) => tf.randomNormal([16, size, size, c], 0, 1, 'float32', i));
  const whole = tf.concat(parts, -1);
  const bytes = 2 * whole.size * 4;
  const timed = (f: () => tf.Tensor | tf.Tensor[]) => () => { for (let i = 0; i < REPEAT; i++) tf.dispose(f()); };
  const concat = timed(() => tf.concat(parts, -1));
  const split = timed(() => tf.split(whole, channels, -1));
  const withKernels = (on: boolean, f: () => void) => () => { useNativeConcatSplit(on); f(); };
  const t = alternateMs({
    concatStock: withKernels(false, concat), concatNative: withKernels(true, concat),
    splitStock: withKernels(false, split), splitNative: withKernels(true, split),
    memcpy: timed(() => concatFlat(parts)),
  }, ROUNDS);
  const ms = (k: keyof typeof t) => t[k].wall / REPEAT;
  const cell = (k: keyof typeof t) => `${ms(k).toFixed(2)} (${(t[k].cpu / REPEAT).toFixed(2)}) ${(bytes / ms(k) / 1e6).toFixed(1)}`;
  rows.push([name, (whole.size * 4 / 2 ** 20).toFixed(1), cell('concatStock'), cell('concatNative'), cell('splitStock'), cell('splitNative'), cell('memcpy'),
    (t.concatStock.cpu / t.concatNative.cpu).toFixed(2), (t.splitStock.cpu / t.splitNative.cpu).toFixed(2)]);
  totals = { stock: totals.stock + t.concatStock.cpu + t.splitStock.cpu, native: totals.native + t.concatNative.cpu + t.splitNative.cpu };
  tf.dispose([...parts, whole]);
}
useNativeConcatSplit(false);
console.log(formatTable(['shapes (batch 16)', 'MiB', 'ConcatV2 ms (CPU) GB/s', 'native concat', 'SplitV', 'native split', 'memcpy of the same bytes',
  'concat speed-up (CPU)', 'split speed-up (CPU)'], rows));
console.log(`\nall shapes, concat + split, CPU time: stock ÷ native ${(totals.stock / totals.native).toFixed(2)} · ${ROUNDS} rounds ABBA, load ${os.loadavg()[0]!.toFixed(1)}`);
