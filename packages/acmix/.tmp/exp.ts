import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
await initBackend('tensorflow');
function time(name: string, f: () => void) { f(); const ts = []; for (let i = 0; i < 9; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } ts.sort((a,b)=>a-b); console.log(name, "min", ts[0]!.toFixed(1), "med", ts[4]!.toFixed(1)); }
for (const [B, S, C] of [[8, 40, 64], [8, 20, 256]]) {
  const x = tf.variable(tf.randomNormal([B!, S!+2, S!+2, C! + 3]));
  const w = tf.variable(tf.randomNormal([3, 3, C! + 3, C!]));
  time(`dense fwd ${C}`, () => tf.tidy(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid').sum().dataSync()));
  time(`dense fwdbwd ${C}`, () => tf.tidy(() => { const g = tf.variableGrads(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid').sum() as tf.Scalar, [x, w]); tf.addN(Object.values(g.grads).map(t => t.sum())).dataSync(); }));
}
