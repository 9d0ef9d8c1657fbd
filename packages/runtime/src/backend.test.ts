import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, nativeBackendAvailable } from './backend.js';
import { relativeError } from './relative-error.js';

async function convGradients(backend: 'tensorflow' | 'cpu') {
  await initBackend(backend);
  const x = tf.randomUniform([2, 9, 11, 5], -1, 1, 'float32', 1);
  const w = tf.randomUniform([3, 3, 5, 7], -1, 1, 'float32', 2);
  const dy = tf.randomUniform([2, 5, 6, 7], -1, 1, 'float32', 3);
  const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
    tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'))([x, w], dy);
  const out = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  tf.dispose([x, w, dy, ...grads]);
  return out;
}

describe('backend', () => {
  it('loads the native TensorFlow backend built by npm ci', async () => {
    // No silent pass: a missing addon is a failed install, and this says how to fix it.
    expect(nativeBackendAvailable(), 'native backend missing: run `npm run setup`').toBe(true);
    const info = await initBackend();
    expect(info.backend).toBe('tensorflow');
    expect(info.tensorflowVersion).toBe('2.21.0');
  });

  it('computes conv2d gradients on native TensorFlow equal to the cpu backend within 1e-4', async () => {
    const [dxNative, dwNative] = await convGradients('tensorflow');
    const [dxCpu, dwCpu] = await convGradients('cpu');
    expect(relativeError(dxNative!, dxCpu!)).toBeLessThan(1e-4);
    expect(relativeError(dwNative!, dwCpu!)).toBeLessThan(1e-4);
  });

  it('rejects unknown backend names with the source of the value', async () => {
    await expect(initBackend('gpu')).rejects.toThrow(/--backend: unknown backend "gpu"/);
  });
});
