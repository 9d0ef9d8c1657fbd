import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ACmix } from '@acmix-lab/acmix';
await initBackend('tensorflow');
const [B, C, S] = (process.argv[2] ?? '8,64,40').split(',').map(Number);
const layer = new ACmix({ outPlanes: C! });
const x = tf.variable(tf.randomNormal([B!, S!, S!, C!]));
const gy = tf.randomNormal([B!, S!, S!, C!]);
layer.build(x.shape);
const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
const step = () => tf.tidy(() => {
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar, vars);
  tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
});
step(); step();
const best = new Map<string, number>();
for (let it = 0; it < 5; it++) {
  const info = await tf.profile(step);
  const seen = new Map<string, number>();
  for (const k of info.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const n = (seen.get(key) ?? 0) + 1; seen.set(key, n);
    const id = `${key} #${n}`;
    const ms = (await k.kernelTimeMs) as number;
    best.set(id, Math.min(best.get(id) ?? Infinity, ms));
  }
}
const rows = [...best].sort((a, b) => b[1] - a[1]);
for (const [k, v] of rows.slice(0, 30)) console.log(v.toFixed(2), k);
console.log('sum of mins', rows.reduce((a, r) => a + r[1], 0).toFixed(1));
