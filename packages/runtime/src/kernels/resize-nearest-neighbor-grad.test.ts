import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';

// Captured before initBackend('cpu') replaces it.
const stockKernel = tf.getKernel(tf.ResizeNearestNeighborGrad, 'cpu')!.kernelFunc;

/** The gradient of a 2× nearest upsample is the sum of each 2×2 block of dy: computed by hand. */
function expectedGrad(dy: Float32Array, [b, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(b! * h! * w! * c!);
  for (let n = 0; n < b!; n++) for (let y = 0; y < 2 * h!; y++) for (let x = 0; x < 2 * w!; x++) {
    for (let k = 0; k < c!; k++) {
      out[((n * h! + (y >> 1)) * w! + (x >> 1)) * c! + k]! += dy[((n * 2 * h! + y) * 2 * w! + x) * c! + k]!;
    }
  }
  return out;
}

describe('ResizeNearestNeighborGrad on cpu', () => {
  const shape: [number, number, number, number] = [3, 4, 5, 2];
  it('matches the hand-computed gradient for batch > 1 (the stock kernel does not)', async () => {
    await initBackend('cpu');
    const images = tf.randomUniform(shape, 0, 1, 'float32', 7) as tf.Tensor4D;
    const dy = tf.randomUniform([3, 8, 10, 2], -1, 1, 'float32', 8) as tf.Tensor4D;
    const want = expectedGrad(dy.dataSync() as Float32Array, shape);

    const [grad] = tf.grads((x: tf.Tensor) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [8, 10]))([images], dy);
    const got = grad!.dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);

    const backend = tf.findBackend('cpu') as unknown as { readSync(id: object): Float32Array };
    const stockOut = stockKernel({ inputs: { images, dy }, backend: tf.findBackend('cpu')!, attrs: { alignCorners: false, halfPixelCenters: false } }) as TensorInfo;
    const stock = backend.readSync(stockOut.dataId);
    const maxErr = Math.max(...want.map((v, i) => Math.abs(v - stock[i]!)));
    expect(maxErr, 'stock tfjs kernel unexpectedly correct: drop the override').toBeGreaterThan(0.1);
    tf.dispose([images, dy, grad!]);
  });
});
