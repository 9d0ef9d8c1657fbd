// The native conv filter gradient (native/conv_backprop_filter.cc) against what it replaces: TensorFlow's own
// Conv2DBackpropFilter (tfjs-node's stock kernel) and, for 1×1 convs, the MatMul route of @acmix-lab/runtime;
// over kernel 1, 2, 3 and 5, stride 1 and 2, SAME, VALID and explicit padding, odd sizes, batch 1, channel counts
// that are not multiples of 16, and maps large enough to be split over groups and threads. Its result does not
// depend on the run or on the number of intra-op threads. The 3×3 stride-1 'same' cases run with
// ACMIX_LAB_WINOGRAD_FILTER=0 here: the direct kernel; native-winograd-filter.test.ts tests their Winograd route.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bitDifferences, countLeakedTensors, initBackend, registerNativeKernelFixes, unregisterNativeKernelFixes } from '@acmix-lab/runtime';
import { outputsByThreadCount } from './intra-op-runs.js';
import { fusedAttentionUnavailable } from './native-op.js';
import { nativeConv2DBackpropFilter, useNativeFilterGradient } from './native-filter-gradient.js';

await initBackend('tensorflow');

type Pad = 'valid' | 'same' | tf.backend_util.ExplicitPadding;
interface Case { name: string; x: [number, number, number, number]; k: [number, number]; cout: number; strides: number | [number, number]; pad: Pad }

const CASES: Case[] = [
  { name: '1×1, batch 1, c_in 3', x: [1, 7, 5, 3], k: [1, 1], cout: 17, strides: 1, pad: 'valid' },
  { name: '1×1 stride 2, odd map', x: [2, 9, 11, 33], k: [1, 1], cout: 80, strides: 2, pad: 'same' },
  { name: '3×3 SAME, batch 1', x: [1, 7, 9, 17], k: [3, 3], cout: 33, strides: 1, pad: 'same' },
  { name: '3×3 stride 2 SAME, c_in 3 (the stem)', x: [2, 13, 11, 3], k: [3, 3], cout: 16, strides: 2, pad: 'same' },
  { name: '3×3 stride 2 VALID', x: [1, 10, 9, 80], k: [3, 3], cout: 17, strides: 2, pad: 'valid' },
  { name: '3×3 VALID, c_out 3', x: [2, 6, 5, 33], k: [3, 3], cout: 3, strides: 1, pad: 'valid' },
  { name: '5×5 SAME, strides [2, 1]', x: [1, 8, 7, 4], k: [5, 5], cout: 5, strides: [2, 1], pad: 'same' },
  { name: '2×3 stride 2 SAME (uneven padding)', x: [1, 9, 8, 7], k: [2, 3], cout: 20, strides: 2, pad: 'same' },
  { name: '3×3 stride 2 explicit padding', x: [1, 9, 8, 7], k: [3, 3], cout: 9, strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: 'a 1-pixel map', x: [1, 1, 1, 32], k: [3, 3], cout: 5, strides: 1, pad: 'same' },
  { name: '3×3, many groups and threads', x: [4, 40, 38, 64], k: [3, 3], cout: 65, strides: 1, pad: 'same' },
  { name: '1×1, many groups and threads', x: [8, 40, 40, 64], k: [1, 1], cout: 48, strides: 1, pad: 'valid' },
];

function inputs(c: Case, seed = 1): { x: tf.Tensor4D; dy: tf.Tensor4D; filterShape: [number, number, number, number] } {
  const filterShape: [number, number, number, number] = [...c.k, c.x[3], c.cout];
  const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
  const out = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.strides, 1, c.pad, undefined, false, 'channelsLast');
  const dy = tf.randomNormal([c.x[0], out.outHeight, out.outWidth, c.cout], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  return { x, dy, filterShape };
}

/**
 * dW through tfjs' conv2d gradient, with whichever Conv2DBackpropFilter kernel is installed. tfjs-node's kernels
 * take no explicit padding: that conv pads x first, the way our torch-style Conv2d does at stride 2.
 */
function filterGradient(c: Case, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const [xp, pad] = typeof c.pad === 'string' ? [x, c.pad] : [tf.pad(x, c.pad), 'valid' as const];
  return tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xp, w as tf.Tensor4D, c.strides, pad), dy)))(tf.zeros([...c.k, c.x[3], c.cout]));
}

function withKernels(route: 'stock' | 'matmul' | 'native', f: () => void): void {
  if (route === 'stock') unregisterNativeKernelFixes();
  else registerNativeKernelFixes();
  useNativeFilterGradient(route === 'native');
  process.env.ACMIX_LAB_WINOGRAD_FILTER = '0';
  try { f(); } finally { registerNativeKernelFixes(); useNativeFilterGradient(false); delete process.env.ACMIX_LAB_WINOGRAD_FILTER; }
}

describe('native conv filter gradient', () => {
  afterAll(() => { useNativeFilterGradient(false); });

  it('is built and loaded (npm ci builds it; ACMIX_LAB_FUSED=0 is the only reason to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0') return;
    expect(fusedAttentionUnavailable()).toBeNull();
  });

  it.skipIf(fusedAttentionUnavailable() !== null).each(CASES)('$name: equals TensorFlow\'s Conv2DBackpropFilter', async (c) => {
    const leaked = await countLeakedTensors(() => {
      tf.tidy(() => {
        const { x, dy } = inputs(c);
        const pointwise = c.k[0] === 1 && c.k[1] === 1;
        let stock!: tf.Tensor, scale!: tf.Tensor, matmul!: tf.Tensor, native!: tf.Tensor;
        withKernels('stock', () => {
          stock = filterGradient(c, x, dy);
          // Σ|x·dy| per weight: float32 sums of many products in another order differ by a few ε of it.
          scale = filterGradient(c, tf.abs(x), tf.abs(dy));
        });
        if (pointwise) withKernels('matmul', () => { matmul = filterGradient(c, x, dy); });
        withKernels('native', () => {
          native = typeof c.pad === 'string' ? filterGradient(c, x, dy)
            : nativeConv2DBackpropFilter(x, dy, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: [...c.k, c.x[3], c.cout] })!;
        });
        const err = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(scale, 1e-30))).dataSync()[0]!;
        expect(native.shape).toEqual(stock.shape);
        // Sums of up to ~12 000 products in another order than TensorFlow's: float32 rounding bounds the
        // difference by n·ε·Σ|x·dy| and it stays near √n·ε; measured ≤ 2.2e-7 of Σ|x·dy|. A wrong tap, padding
        // or channel would be off by O(1).
        expect(err(native, stock)).toBeLessThan(2e-6);
        if (pointwise) expect(err(native, matmul)).toBeLessThan(2e-6);
      });
    });
    expect(leaked).toBe(0);
  });

  // @acmix-lab/yolo's PyTorch-padded convs ran as Pad + VALID; with explicit padding their dW must stay bit for bit.
  it.skipIf(fusedAttentionUnavailable() !== null).each([
    { name: 'the stem: c_in 3, batch 1, odd map', x: [1, 13, 11, 3], cout: 16, pad: 1 },
    { name: 'odd map, c_in 33, c_out 17', x: [2, 9, 10, 33], cout: 17, pad: 1 },
    { name: 'padding 2, groups and threads', x: [8, 40, 40, 32], cout: 64, pad: 2 },
    { name: 'small map, c_in 128 (several row blocks)', x: [16, 10, 10, 128], cout: 80, pad: 1 },
  ] as { name: string; x: [number, number, number, number]; cout: number; pad: number }[])('$name: with explicit padding, bit for bit the same conv over a zero-padded x', (c) => {
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 5) as tf.Tensor4D;
      const pads: tf.backend_util.ExplicitPadding = [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]];
      const filterShape: [number, number, number, number] = [3, 3, c.x[3], c.cout];
      const out = tf.backend_util.computeConv2DInfo(c.x, filterShape, 2, 1, pads, undefined, false, 'channelsLast');
      const dy = tf.randomNormal([c.x[0], out.outHeight, out.outWidth, c.cout], 0, 1, 'float32', 6) as tf.Tensor4D;
      const explicit = nativeConv2DBackpropFilter(x, dy, { strides: 2, pad: pads, dataFormat: 'NHWC', filterShape })!;
      const padded = nativeConv2DBackpropFilter(tf.pad(x, pads), dy, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape })!;
      expect(bitDifferences(explicit.dataSync(), padded.dataSync())).toBe(0);
    });
  });

  it.skipIf(fusedAttentionUnavailable() !== null)('declines NCHW and a dy that does not fit, and with ACMIX_LAB_FUSED=0 leaves the gradient to TensorFlow', () => {
    tf.tidy(() => {
      const { x, dy, filterShape } = inputs(CASES[2]!);
      expect(nativeConv2DBackpropFilter(x, dy, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape })).toBeNull();
      // A dy of the wrong size is left to the stock kernel, which reports it.
      expect(nativeConv2DBackpropFilter(x, tf.slice(dy, 0, [1, 6, 9, 33]), { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape })).toBeNull();
      let stock!: tf.Tensor, declined!: tf.Tensor;
      withKernels('stock', () => { stock = filterGradient(CASES[2]!, x, dy); });
      process.env.ACMIX_LAB_FUSED = '0';
      try {
        expect(nativeConv2DBackpropFilter(x, dy, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape })).toBeNull();
        // Installed but declining: the kernel it replaced runs (TensorFlow's, for a 3×3 conv).
        withKernels('native', () => { declined = filterGradient(CASES[2]!, x, dy); });
      } finally { delete process.env.ACMIX_LAB_FUSED; }
      expect(declined.dataSync()).toEqual(stock.dataSync());
    });
  });
});

// The native dW of the two large cases, hashed, twice in one process; run below with 1, 2 and 3 intra-op threads.
const DETERMINISM_CHILD = `
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
const { nativeConv2DBackpropFilter } = await import(process.env.MODULE_URL);
await initBackend('tensorflow');
const hash = ({ x, dy, k, strides, pad }) => tf.tidy(() => {
  const dw = nativeConv2DBackpropFilter(tf.randomNormal(x, 0, 1, 'float32', 7), tf.randomNormal(dy, 0, 1, 'float32', 8),
    { strides, pad, dataFormat: 'NHWC', filterShape: [...k, x[3], dy[3]] });
  return createHash('sha256').update(dw.dataSync()).digest('hex');
});
const cases = JSON.parse(process.env.CASES);
console.log(JSON.stringify([cases.map(hash), cases.map(hash)]));
`;

describe.skipIf(fusedAttentionUnavailable() !== null)('native conv filter gradient determinism', () => {
  it('is bit-identical run after run, and with 1, 2 or 3 intra-op threads', () => {
    const cases = CASES.slice(-2).map((c) => ({ ...c, dy: tf.tidy(() => inputs(c).dy.shape) }));
    const runs = outputsByThreadCount<[string[], string[]]>(DETERMINISM_CHILD, { CASES: JSON.stringify(cases), ACMIX_LAB_WINOGRAD_FILTER: '0',
      MODULE_URL: new URL('./native-filter-gradient.ts', import.meta.url).href });
    expect(runs[0]![1]).toEqual(runs[0]![0]);
    for (const [first, second] of runs) expect([first, second]).toEqual(runs[0]);
  });
});
