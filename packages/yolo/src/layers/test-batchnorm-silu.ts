// The BatchNorm → SiLU computation batchnorm-silu.test.ts checks, in its own module so that the test's child
// processes (other thread counts) run exactly the same code.
import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormSilu } from '@acmix-lab/acmix';
import { fusedBatchNormTraining } from './native-ops.js';
import { silu } from './silu.js';

const EPS = 1e-3;

export interface Results { y: Float32Array; mean: Float32Array; variance: Float32Array; dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array }

/** x [B, H, W, C] (channel means apart from 0, spreads unequal), γ, β and an output gradient, seeded. */
export function inputs(shape: number[], seed: number): tf.Tensor[] {
  const c = shape[3]!;
  return [tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), tf.linspace(0.5, 3, c)), tf.linspace(-4, 6, c)),
    tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 1), tf.randomNormal([c], 0, 1, 'float32', seed + 2), tf.randomNormal(shape, 0, 1, 'float32', seed + 3)];
}

/** BatchNorm → SiLU, fused or composed; the statistics are those the running-stat update receives. */
export function bnSilu(shape: number[], fused: boolean, seed: number): Results {
  return tf.tidy(() => {
    const [x, gamma, beta, dy] = inputs(shape, seed) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D];
    const stats: Float32Array[] = [];
    const onStats = (mean: tf.Tensor, variance: tf.Tensor) => { stats.push(mean.dataSync() as Float32Array, variance.dataSync() as Float32Array); };
    const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => (fused
      ? fusedBatchNormSilu(xi, g as tf.Tensor1D, b as tf.Tensor1D, EPS, onStats)
      : silu(fusedBatchNormTraining(xi as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, EPS, onStats)));
    const y = f(x, gamma, beta).dataSync() as Float32Array;
    const [dx, dgamma, dbeta] = tf.grads((xi, g, b) => tf.sum(tf.mul(f(xi!, g!, b!), dy)))([x, gamma, beta]).map((t) => t.dataSync() as Float32Array);
    return { y, mean: stats[0]!, variance: stats[1]!, dx: dx!, dgamma: dgamma!, dbeta: dbeta! };
  });
}

/** Every output's bits, for comparing runs. */
export function digest(r: Results): string {
  return Object.values(r).map((v) => Buffer.from(v.buffer).toString('base64')).join('|');
}
