// The fused SiLU kernels (native/silu.cc) against the TensorFlow kernels they replace: Sigmoid and Mul
// forward, Mul, SigmoidGrad and Add backward, on odd sizes (vector tails), a size large enough to be split
// across the thread pool, and values where σ saturates.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable, fusedSilu } from './native-op.js';

await initBackend('tensorflow');

interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
}

/** The composition the kernel replaces: x·Sigmoid(x) and dy·s + x·SigmoidGrad(s, dy). */
function composed(x: tf.Tensor, dy: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const backend = tf.backend() as unknown as NativeBackend;
  const s = tf.sigmoid(x);
  const sigmoidGrad = backend.executeSingleOutput('SigmoidGrad', [{ name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT }], [s, dy]);
  return [tf.mul(x, s), tf.add(tf.mul(dy, s), tf.mul(x, sigmoidGrad))];
}

describe('fused SiLU kernels', () => {
  it('are built and loaded (npm ci builds them; ACMIX_LAB_FUSED=0 is the only reason to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0') return;
    expect(fusedAttentionUnavailable()).toBeNull();
  });

  const shapes: [string, number[]][] = [
    ['one element', [1]],
    ['odd sizes (vector tails)', [3, 7, 5, 13]],
    ['a YOLO map split across threads', [2, 41, 39, 33]],
  ];
  it.skipIf(fusedAttentionUnavailable() !== null).each(shapes)('%s: value and gradient equal the TensorFlow kernels', async (_, shape) => {
    const leaked = await countLeakedTensors(() => {
      tf.tidy(() => {
        // Normal values plus saturating ones (σ → 0 or 1, where x·(1 − σ) loses precision).
        const x = tf.concat([tf.randomNormal([shape.reduce((a, b) => a * b) - 1], 0, 4, 'float32', 3), tf.tensor1d([-90])]).reshape(shape);
        const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
        const [y0, dx0] = composed(x, dy);
        const y = fusedSilu(x);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fusedSilu(t), dy)))(x);
        // Error relative to the scale of the terms summed (dx crosses zero near x = −1.28, where they cancel).
        const err = (a: tf.Tensor, b: tf.Tensor, scale: tf.Tensor) => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(scale, 1e-6))).dataSync()[0]!;
        expect(err(y, y0, tf.abs(y0))).toBeLessThan(1e-6);
        expect(err(dx, dx0, tf.mul(tf.abs(dy), tf.add(1, tf.abs(x))))).toBeLessThan(1e-6);
        expect(tf.all(tf.isFinite(dx)).dataSync()[0]).toBe(1);
      });
    });
    expect(leaked).toBe(0);
  });
});
