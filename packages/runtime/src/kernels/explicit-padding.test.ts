// Convolutions with explicit padding on the native backend (TensorFlow's EXPLICIT forward, explicit-padding.ts for
// the gradients) against what @acmix-lab/yolo ran before: a zero-padded copy of x and a VALID conv. Output, input
// gradient and filter gradient bit for bit, over PyTorch's stride-2 padding 1 (YOLO's downsampling convs), uneven
// and one-sided padding, 1×1 and 5×5 kernels, odd sizes, batch 1 and channel counts that are not multiples of 16.
// (The native filter gradient's explicit-padding route is tested in @acmix-lab/acmix.)
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { countLeakedTensors } from '../leaks.js';
import { bitDifferences } from '../relative-error.js';
import { explicitConvPaddingAvailable, registerNativeKernelFixes, unregisterNativeKernelFixes } from './pointwise-conv.js';

type Pads = tf.backend_util.ExplicitPadding;
interface Case { name: string; x: [number, number, number, number]; k: number; cout: number; strides: number; pads: Pads }

const torch = (p: number): Pads => [[0, 0], [p, p], [p, p], [0, 0]];
const CASES: Case[] = [
  { name: '3×3 stride 2 padding 1 (YOLO\'s downsampling), batch 1, c_in 3', x: [1, 13, 10, 3], k: 3, cout: 16, strides: 2, pads: torch(1) },
  { name: '3×3 stride 2 padding 1, 8×40×40×32 → 64', x: [8, 40, 40, 32], k: 3, cout: 64, strides: 2, pads: torch(1) },
  { name: '3×3 stride 2 padding 1, odd map, c_in 33', x: [2, 9, 11, 33], k: 3, cout: 17, strides: 2, pads: torch(1) },
  { name: '5×5 stride 1 uneven padding', x: [2, 7, 8, 5], k: 5, cout: 7, strides: 1, pads: [[0, 0], [1, 3], [2, 0], [0, 0]] },
  { name: '1×1 stride 2 padding 1', x: [1, 6, 7, 20], k: 1, cout: 9, strides: 2, pads: torch(1) },
];

/** Output, dx and dW of Σ conv(x, w)·dy, with the padding given to the conv or applied to x first. */
function convAndGrads(c: Case, explicit: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout], 0, 1, 'float32', 2) as tf.Tensor4D;
    const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D) => (explicit
      ? tf.conv2d(xi, wi, c.strides, c.pads) : tf.conv2d(tf.pad(xi, c.pads), wi, c.strides, 'valid'));
    const dy = tf.randomNormal(conv(x, w).shape, 0, 1, 'float32', 3);
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.mul(conv(xi as tf.Tensor4D, wi as tf.Tensor4D), dy))([x, w]);
    return [conv(x, w), dx!, dw!].map((t) => t.dataSync() as Float32Array);
  });
}

describe('explicit conv padding on the native backend', () => {
  beforeAll(async () => { await initBackend('tensorflow'); });

  it('is available with the kernels initBackend installs, not with tfjs-node\'s own or ACMIX_LAB_EXPLICIT_PAD=0', () => {
    expect(explicitConvPaddingAvailable()).toBe(true);
    unregisterNativeKernelFixes();
    try { expect(explicitConvPaddingAvailable()).toBe(false); } finally { registerNativeKernelFixes(); }
    process.env.ACMIX_LAB_EXPLICIT_PAD = '0';
    try { expect(explicitConvPaddingAvailable()).toBe(false); } finally { delete process.env.ACMIX_LAB_EXPLICIT_PAD; }
  });

  it.each(CASES)('$name: output and both gradients bit for bit a padded copy and VALID', async (c) => {
    const [y, dx, dw] = convAndGrads(c, true);
    const [yRef, dxRef, dwRef] = convAndGrads(c, false);
    expect(bitDifferences(y!, yRef!)).toBe(0);
    expect(bitDifferences(dx!, dxRef!)).toBe(0);
    expect(bitDifferences(dw!, dwRef!)).toBe(0);
    expect(await countLeakedTensors(() => { convAndGrads(c, true); })).toBe(0);
  });
});
