// The MatMul route for 1×1 convs against tfjs-node's stock Conv2D kernels (TensorFlow's own
// convolution), forward and both gradients, over strides, paddings, odd sizes and batch 1 and 2.
// That the route avoids the crash itself is tested where it happened (packages/yolo/src/onednn-sigfpe.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { countLeakedTensors } from '../leaks.js';
import { withEnv } from '../env-switch.js';
import { bitDifferences, relativeError } from '../relative-error.js';
import { registerNativeKernelFixes, unregisterNativeKernelFixes } from './pointwise-conv.js';

type Pad = 'valid' | 'same' | number;
interface Case { x: [number, number, number, number]; k: number; cout: number; strides: number | [number, number]; pad: Pad }

const CASES: Case[] = [
  { x: [1, 7, 5, 3], k: 1, cout: 4, strides: 1, pad: 'valid' },
  { x: [2, 6, 9, 16], k: 1, cout: 8, strides: 2, pad: 'same' },
  { x: [2, 7, 7, 8], k: 1, cout: 16, strides: 3, pad: 'valid' },
  { x: [2, 5, 6, 24], k: 1, cout: 12, strides: [1, 2], pad: 0 },
  { x: [1, 1, 1, 32], k: 1, cout: 5, strides: 1, pad: 'same' },
  { x: [2, 8, 8, 64], k: 1, cout: 32, strides: 1, pad: 'valid' },
  // Multi-threaded MatMul at a YOLOv8n C2f cv2 shape (batch 2, 40×40, (2 + 1)·16 → 32 channels).
  { x: [2, 40, 40, 48], k: 1, cout: 32, strides: 1, pad: 'valid' },
  // Not 1×1: the stock kernel runs, through the same registered function.
  { x: [2, 6, 5, 4], k: 3, cout: 6, strides: 1, pad: 'same' },
];

/** Output, input gradient and filter gradient of Σ conv(x, w)·dy. */
function convAndGrads(c: Case) {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout], 0, 1, 'float32', 2) as tf.Tensor4D;
    const rounding = typeof c.pad === 'number' ? 'floor' : undefined;
    const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D) => tf.conv2d(xi, wi, c.strides, c.pad, 'NHWC', 1, rounding);
    const dy = tf.randomNormal(conv(x, w).shape, 0, 1, 'float32', 3);
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.mul(conv(xi as tf.Tensor4D, wi as tf.Tensor4D), dy))([x, w]);
    return [conv(x, w), dx!, dw!].map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
  });
}

describe('1×1 convolutions as MatMul on the native backend', () => {
  beforeAll(async () => { await initBackend('tensorflow'); });

  it('is what initBackend installs', () => {
    const before = tf.getKernel(tf.Conv2D, 'tensorflow')!.kernelFunc;
    unregisterNativeKernelFixes();
    expect(tf.getKernel(tf.Conv2D, 'tensorflow')!.kernelFunc).not.toBe(before);
    registerNativeKernelFixes();
    registerNativeKernelFixes();
    expect(tf.getKernel(tf.Conv2D, 'tensorflow')!.kernelFunc).toBe(before);
  });

  it.each(CASES)('x $x, k $k → $cout, strides $strides, pad $pad: equal to TensorFlow\'s conv, forward and gradients', async (c) => {
    const before = tf.memory().numTensors;
    const ours = convAndGrads(c);
    expect(await countLeakedTensors(() => { convAndGrads(c); })).toBe(0);
    unregisterNativeKernelFixes();
    let stock;
    try {
      stock = convAndGrads(c);
    } finally {
      registerNativeKernelFixes();
    }
    ours.forEach((t, i) => {
      expect(t.shape, ['output', 'dx', 'dw'][i]).toEqual(stock[i]!.shape);
      expect(relativeError(t.data, stock[i]!.data), ['output', 'dx', 'dw'][i]).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(CASES)('x $x, k $k → $cout, strides $strides: the broadcast MatMul gives the row form\'s bits', (c) => {
    const broadcast = convAndGrads(c);
    const rows = withEnv('ACMIX_LAB_BROADCAST_MATMUL', '0', () => convAndGrads(c));
    broadcast.forEach((t, i) => {
      expect(t.shape, ['output', 'dx', 'dw'][i]).toEqual(rows[i]!.shape);
      expect(bitDifferences(t.data, rows[i]!.data), ['output', 'dx', 'dw'][i]).toBe(0);
    });
  });

  it('runs a stride-1 1×1 conv and its input gradient with one Reshape (the filter matrix) instead of six', () => {
    const reshapes = () => {
      // Nested ops are not on tf.profile's list: count the native ops the binding executes.
      type Binding = { executeOp: (name: string, ...rest: unknown[]) => unknown };
      const backend = tf.backend() as unknown as { binding: Binding };
      const binding = backend.binding;
      let count = 0;
      backend.binding = Object.create(binding, { executeOp: { value: (name: string, ...rest: unknown[]) => {
        if (name === tf.Reshape) count++;
        return binding.executeOp(name, ...rest);
      } } }) as Binding;
      try {
        tf.tidy(() => {
          const x = tf.randomNormal([2, 5, 7, 6]) as tf.Tensor4D;
          const w = tf.randomNormal([1, 1, 6, 4]) as tf.Tensor4D;
          const dy = tf.randomNormal([2, 5, 7, 4]);
          tf.grad((xi: tf.Tensor) => tf.mul(tf.conv2d(xi as tf.Tensor4D, w, 1, 'valid'), dy))(x);
        });
      } finally {
        backend.binding = binding;
      }
      return count;
    };
    expect(reshapes()).toBe(1);
    expect(withEnv('ACMIX_LAB_BROADCAST_MATMUL', '0', reshapes)).toBe(6);
  });

  it('leaves padded 1×1 convs to the stock kernel', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const w = tf.randomNormal([1, 1, 3, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
      const y = tf.conv2d(x, w, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      expect(y.shape).toEqual([1, 6, 6, 2]);
      // The padded border of a bias-free 1×1 conv is zero, the inside the 1×1 conv of x.
      expect(tf.max(tf.abs(tf.slice(y, [0, 0, 0, 0], [1, 1, 6, 2]))).dataSync()[0]).toBe(0);
      expect(relativeError(tf.slice(y, [0, 1, 1, 0], [1, 4, 4, 2]).dataSync() as Float32Array,
        tf.conv2d(x, w, 1, 'valid').dataSync() as Float32Array)).toBeLessThan(1e-6);
    });
  });
});
