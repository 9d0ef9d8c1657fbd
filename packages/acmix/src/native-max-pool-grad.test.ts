// The native max pool gradient (native/max_pool_grad.cc) against the kernel it replaces, TensorFlow's MaxPoolGrad
// (tfjs-node's stock kernel): bit for bit, over windows 2, 3 and 5, stride 1 and 2, SAME and VALID, odd sizes,
// batch 1, channel counts that are not multiples of 16 or of the kernel's channel block, maps with many tied
// maxima (where the routing decides the result) and SPPF's own shapes, large enough to be split over threads.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bitDifferences, countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable } from './native-op.js';
import { nativeMaxPoolGradUnavailable, useNativeMaxPoolGrad } from './native-max-pool-grad.js';

await initBackend('tensorflow');

interface Case { name: string; x: [number, number, number, number]; k: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same'; ties?: boolean }

const CASES: Case[] = [
  { name: 'SPPF 5×5 stride 1 SAME, batch 1', x: [1, 10, 10, 8], k: 5, strides: 1, pad: 'same' },
  { name: 'SPPF at 16×10×10×128 (YOLOv8n, imgsz 320)', x: [16, 10, 10, 128], k: 5, strides: 1, pad: 'same' },
  { name: '5×5 SAME, odd map, 67 channels (two channel blocks)', x: [3, 13, 11, 67], k: 5, strides: 1, pad: 'same' },
  { name: '3×3 stride 2 SAME, odd map', x: [2, 9, 7, 17], k: 3, strides: 2, pad: 'same' },
  { name: '3×3 stride 2 VALID', x: [1, 11, 8, 5], k: 3, strides: 2, pad: 'valid' },
  { name: '2×2 stride 2 VALID, 1 channel', x: [2, 6, 9, 1], k: 2, strides: 2, pad: 'valid' },
  { name: '[3, 2] window, strides [1, 2], SAME', x: [1, 7, 10, 33], k: [3, 2], strides: [1, 2], pad: 'same' },
  { name: 'window larger than the map', x: [2, 3, 4, 6], k: 5, strides: 1, pad: 'same' },
  { name: 'ties: values from {−1, 0, 1}, 5×5 SAME', x: [4, 12, 9, 19], k: 5, strides: 1, pad: 'same', ties: true },
  { name: 'ties: a constant map, 3×3 stride 2 SAME', x: [1, 8, 8, 3], k: 3, strides: 2, pad: 'same', ties: true },
];

function input(c: Case): tf.Tensor4D {
  if (!c.ties) return tf.randomNormal(c.x, 0, 1, 'float32', 3) as tf.Tensor4D;
  if (c.name.includes('constant')) return tf.fill(c.x, 0.5) as tf.Tensor4D;
  return tf.round(tf.clipByValue(tf.randomNormal(c.x, 0, 1, 'float32', 3), -1, 1)) as tf.Tensor4D;
}

/** dx of Σ maxPool(x)·dy with whichever MaxPoolGrad kernel is installed. */
function poolGradient(c: Case, x: tf.Tensor4D, dy: tf.Tensor): tf.Tensor {
  return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.k, c.strides, c.pad), dy)))(x);
}

function withNative(on: boolean, f: () => void): void {
  useNativeMaxPoolGrad(on);
  try { f(); } finally { useNativeMaxPoolGrad(false); }
}

describe('native max pool gradient', () => {
  afterAll(() => { useNativeMaxPoolGrad(false); });

  it('is built and loaded (npm ci builds it; ACMIX_LAB_FUSED=0 is the only reason to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0') return;
    expect(nativeMaxPoolGradUnavailable()).toBeNull();
  });

  it.skipIf(fusedAttentionUnavailable() !== null).each(CASES)('$name: bit-identical to TensorFlow\'s MaxPoolGrad', async (c) => {
    const leaked = await countLeakedTensors(() => {
      tf.tidy(() => {
        const x = input(c);
        const y = tf.maxPool(x, c.k, c.strides, c.pad);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
        let stock!: Float32Array, native!: Float32Array;
        withNative(false, () => { stock = poolGradient(c, x, dy).dataSync() as Float32Array; });
        withNative(true, () => { native = poolGradient(c, x, dy).dataSync() as Float32Array; });
        expect(bitDifferences(native, stock)).toBe(0);
        // Each output's gradient lands somewhere: the totals agree (and a dropped or doubled one would not).
        expect(native.reduce((a, b) => a + b, 0)).toBeCloseTo(dy.sum().dataSync()[0]!, 2);
      });
    });
    expect(leaked).toBe(0);
  });

  it.skipIf(fusedAttentionUnavailable() !== null)('routes a tie to the first maximum in raster order', () => {
    tf.tidy(() => {
      // One 3×3 window over a 1×3×3 map of equal values but a later, larger one: the gradient goes to (1, 2).
      const x = tf.tensor4d([1, 1, 1, 1, 1, 2, 2, 2, 0], [1, 3, 3, 1]);
      const c: Case = { name: '', x: [1, 3, 3, 1], k: 3, strides: 1, pad: 'valid' };
      withNative(true, () => { expect([...poolGradient(c, x, tf.ones([1, 1, 1, 1])).dataSync()]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0]); });
      // All equal: the window's first element takes it.
      withNative(true, () => { expect([...poolGradient(c, tf.onesLike(x), tf.ones([1, 1, 1, 1])).dataSync()]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]); });
    });
  });

  it.skipIf(fusedAttentionUnavailable() !== null)('hands back to TensorFlow\'s kernel with ACMIX_LAB_NATIVE_MAX_POOL=0', () => {
    process.env.ACMIX_LAB_NATIVE_MAX_POOL = '0';
    try {
      expect(nativeMaxPoolGradUnavailable()).toMatch(/ACMIX_LAB_NATIVE_MAX_POOL=0/);
      tf.tidy(() => {
        const c = CASES[0]!;
        const x = input(c);
        const dy = tf.onesLike(tf.maxPool(x, c.k, c.strides, c.pad));
        let stock!: Float32Array, declined!: Float32Array;
        withNative(false, () => { stock = poolGradient(c, x, dy).dataSync() as Float32Array; });
        withNative(true, () => { declined = poolGradient(c, x, dy).dataSync() as Float32Array; });
        expect(bitDifferences(declined, stock)).toBe(0);
      });
    } finally { delete process.env.ACMIX_LAB_NATIVE_MAX_POOL; }
  });
});
