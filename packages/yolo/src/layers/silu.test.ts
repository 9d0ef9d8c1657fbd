// SiLU's closed-form gradient against autodiff of x·σ(x), on native TensorFlow (SigmoidGrad) and cpu.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend, nativeBackendAvailable, type BackendName } from '@acmix-lab/runtime';
import { silu } from './silu.js';

const backends: BackendName[] = nativeBackendAvailable() ? ['tensorflow', 'cpu'] : ['cpu'];

describe.each(backends)('silu on %s', (backend) => {
  beforeAll(async () => { await initBackend(backend); });

  it('value and gradient equal the definition', async () => {
    const x = tf.randomNormal([2, 3, 4, 5], 0, 3, 'float32', 7);
    const r = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 8);
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(f(t), r));
    const leaked = await countLeakedTensors(() => {
      tf.tidy(() => {
        const reference = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));
        expect(tf.max(tf.abs(tf.sub(silu(x), reference(x)))).dataSync()[0]).toBeLessThan(1e-6);
        const ours = tf.grad(loss(silu))(x);
        const expected = tf.grad(loss(reference))(x);
        expect(tf.max(tf.abs(tf.sub(ours, expected))).dataSync()[0]).toBeLessThan(1e-5);
      });
    });
    expect(leaked).toBe(0);
    tf.dispose([x, r]);
  });
});
