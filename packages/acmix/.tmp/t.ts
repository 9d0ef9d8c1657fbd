import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ACmix as NewACmix } from '@acmix-lab/acmix';
import { ACmix as OldACmix } from './old/index.js';
const ACmix = process.env.OLD ? OldACmix : NewACmix;
await initBackend('tensorflow');
for (const spec of (process.argv[2] ?? '8,64,40;8,256,20').split(';')) {
  const [B, C, S] = spec.split(',').map(Number);
  const layer = new ACmix({ outPlanes: C! });
  const x = tf.variable(tf.randomNormal([B!, S!, S!, C!]));
  const gy = tf.randomNormal([B!, S!, S!, C!]);
  layer.build(x.shape);
  const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
  const fwd = () => tf.tidy(() => { tf.sum(layer.apply(x) as tf.Tensor).dataSync(); });
  const step = () => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, gy)) as tf.Scalar, vars);
    tf.addN(Object.values(grads).map((g) => tf.sum(g))).dataSync();
  });
  for (const [name, fn] of [['fwd', fwd], ['fwd+bwd', step]] as const) {
    fn();
    let wall = Infinity, cpu = Infinity;
    for (let i = 0; i < 7; i++) {
      const c0 = process.cpuUsage(); const t0 = performance.now();
      fn();
      const w = performance.now() - t0; const c = process.cpuUsage(c0);
      wall = Math.min(wall, w); cpu = Math.min(cpu, (c.user + c.system) / 1000);
    }
    console.log(`${spec} ${name}: wall min ${wall.toFixed(1)} ms, cpu min ${cpu.toFixed(1)} ms`);
  }
}
