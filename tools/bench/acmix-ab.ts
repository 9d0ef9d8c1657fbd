// `npm run bench:acmix -- --ab NAME=VALUE …`: one ACmix layer's training step (forward + backward of the input
// and every weight) at the seed's version one shapes, with the environment as it is (A) against the same step
// with the given variables set (B, e.g. ACMIX_LAB_ACMIX_PROJECTION=0 for the route a change replaced), in one
// process, alternating A B B A per round. Wall and CPU ms (all threads) are medians over rounds.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { ACmix } from '@acmix-lab/acmix';
import type { Shape } from './acmix-profile.js';
import { formatTable } from './report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `fn` with `env` set, then restores the previous values. */
function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(before)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

function timeStep(step: () => void): [wall: number, cpu: number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1000];
}

/** The A/B table over `shapes`, as markdown; `assignments` are NAME=VALUE strings. */
export function abACmix(shapes: Shape[], assignments: string[]): string {
  const env = Object.fromEntries(assignments.map((a) => {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`--ab expects NAME=VALUE, got "${a}"`);
    return [a.slice(0, eq), a.slice(eq + 1)];
  }));
  const label = assignments.join(' ');
  const loadStart = os.loadavg()[0]!.toFixed(1);
  const rows = shapes.map(({ batch, channels, size }) => {
    const layer = new ACmix({ outPlanes: channels });
    const x = tf.variable(tf.randomNormal([batch, size, size, channels]));
    const gy = tf.randomNormal([batch, size, size, channels]);
    layer.build(x.shape);
    const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar, vars);
      tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
    });
    const a: [number, number][] = [];
    const b: [number, number][] = [];
    const runB = () => withEnv(env, () => timeStep(step));
    step();
    runB();
    for (let r = 0; r < ROUNDS; r++) {
      a.push(timeStep(step));
      b.push(runB(), runB());
      a.push(timeStep(step));
    }
    tf.dispose([x, gy]);
    layer.weights.forEach((w) => w.dispose());
    const [aw, ac, bw, bc] = [median(a.map((t) => t[0])), median(a.map((t) => t[1])), median(b.map((t) => t[0])), median(b.map((t) => t[1]))];
    return [`${batch}×${channels}×${size}×${size}`, `${bw.toFixed(1)} (${bc.toFixed(1)})`, `${aw.toFixed(1)} (${ac.toFixed(1)})`,
      `${(bw / aw).toFixed(2)} (${(bc / ac).toFixed(2)})`];
  });
  const table = formatTable(['input (NHWC), ACmix(C)', `step ms with ${label} (CPU)`, 'step ms as is (CPU)', 'speed-up by wall (by CPU)'], rows);
  return `${table}\n\nOne ACmix layer's forward + backward (input and every weight), ${2 * ROUNDS} steps each way alternating A B B A, medians. ` +
    `Load average (1 min) at the start: ${loadStart}, at the end: ${os.loadavg()[0]!.toFixed(1)}.`;
}
