// A/B timing: alternates implementations each iteration; min wall and min cpu per variant.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ACmix as NewACmix } from '@acmix-lab/acmix';
import { ACmix as OldACmix } from './old/index.js';
await initBackend('tensorflow');
const iters = Number(process.env.ITERS ?? 9);
for (const spec of (process.argv[2] ?? '8,64,40;8,256,20').split(';')) {
  const [B, C, S] = spec.split(',').map(Number);
  const x = tf.variable(tf.randomNormal([B!, S!, S!, C!]));
  const gy = tf.randomNormal([B!, S!, S!, C!]);
  const variants = [['old', new OldACmix({ outPlanes: C! })], ['new', new NewACmix({ outPlanes: C! })]] as const;
  const fns: [string, () => void][] = [];
  for (const [name, layer] of variants) {
    layer.build(x.shape);
    const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    fns.push([`${name} fwd`, () => tf.tidy(() => { tf.sum(layer.apply(x) as tf.Tensor).dataSync(); })]);
    fns.push([`${name} fwd+bwd`, () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar, vars);
      tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
    })]);
  }
  const best = new Map<string, [number, number]>();
  for (const [, fn] of fns) fn();
  for (let i = 0; i < iters; i++) {
    for (const [name, fn] of fns) {
      const c0 = process.cpuUsage(); const t0 = performance.now();
      fn();
      const w = performance.now() - t0; const c = process.cpuUsage(c0);
      const [bw, bc] = best.get(name) ?? [Infinity, Infinity];
      best.set(name, [Math.min(bw, w), Math.min(bc, (c.user + c.system) / 1000)]);
    }
  }
  for (const [name, [w, c]] of best) console.log(`${spec} ${name.padEnd(12)} wall ${w.toFixed(1).padStart(7)}  cpu ${c.toFixed(1).padStart(7)}`);
}
