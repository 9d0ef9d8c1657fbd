// `npm run bench:acmix -- --profile`: where one ACmix layer's training step (forward + backward of
// the input and every weight) spends its time, per native op, at the seed's version one shapes
// (experiments/models/yolov8-acmix-neck.yaml, imgsz 320, batch 16), with the kernels the layer
// uses here (fused when built). Each op's time is its median over the timed steps.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { ACmix, fusedAttentionUnavailable } from '@acmix-lab/acmix';
import { formatTable } from './report.js';
import { timeNativeOps } from './step-profile.js';

export interface Shape { batch: number; channels: number; size: number }

const STEPS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Per-op ms (median over steps) of forward and backward, and the median step wall ms, of ACmix(C → C) at one shape. */
function profileShape({ batch, channels, size }: Shape): { rows: (string | number)[][]; wall: number } {
  const layer = new ACmix({ outPlanes: channels });
  const x = tf.variable(tf.randomNormal([batch, size, size, channels]));
  const gy = tf.randomNormal([batch, size, size, channels]);
  layer.build(x.shape);
  const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
  let phase: 'forward' | 'backward' = 'forward';
  let step = new Map<string, number>();
  const steps: Map<string, number>[] = [];
  const walls: number[] = [];
  const run = () => tf.tidy(() => {
    phase = 'forward';
    const { grads } = tf.variableGrads(() => {
      const loss = tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar;
      phase = 'backward';
      return loss;
    }, vars);
    tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
  });
  run();
  const restore = timeNativeOps((label, ms) => { const key = `${label}\t${phase}`; step.set(key, (step.get(key) ?? 0) + ms); });
  try {
    for (let i = 0; i < STEPS; i++) {
      step = new Map();
      const t0 = performance.now();
      run();
      walls.push(performance.now() - t0);
      steps.push(step);
    }
  } finally {
    restore();
  }
  tf.dispose([x, gy]);
  layer.weights.forEach((w) => w.dispose());
  const ops = [...new Set(steps.flatMap((s) => [...s.keys()].map((k) => k.split('\t')[0]!)))];
  const cell = (op: string, p: string) => median(steps.map((s) => s.get(`${op}\t${p}`) ?? 0));
  const rows = ops.map((op) => [op, cell(op, 'forward'), cell(op, 'backward')] as [string, number, number])
    .filter(([, f, b]) => f + b >= 0.5).sort((a, b) => b[1] + b[2] - a[1] - a[2]);
  return { rows: rows.map(([op, f, b]) => [op, f.toFixed(1), b.toFixed(1), (f + b).toFixed(1)]), wall: median(walls) };
}

/** The per-op tables of every shape, as markdown. */
export function profileACmix(shapes: Shape[]): string {
  const load = os.loadavg()[0]!.toFixed(1);
  const kernels = fusedAttentionUnavailable() ?? 'fused native kernels';
  const parts = shapes.map((s) => {
    const { rows, wall } = profileShape(s);
    return `**${s.batch}×${s.channels}×${s.size}×${s.size}, ACmix(${s.channels})**: step ${wall.toFixed(1)} ms (median of ${STEPS})\n\n` +
      formatTable(['native op (≥ 0.5 ms)', 'forward ms', 'backward ms', 'all ms'], rows);
  });
  return `${parts.join('\n\n')}\n\nKernels: ${kernels}. Load average (1 min) at the start: ${load}, at the end: ${os.loadavg()[0]!.toFixed(1)}.`;
}
