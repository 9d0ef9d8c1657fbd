// The Winograd filter gradient of 3×3 stride-1 convs (native/winograd_filter.cc), through the native filter gradient
// hook (nativeConv2DBackpropFilter asks it first), against TensorFlow's Conv2DBackpropFilter: odd maps, maps smaller
// than a tile (1×1, 2×3), batch 1 and 16, channel counts 3 to 128 that are mostly not multiples of 16, maps split into
// several groups, slices, blocks and threads. Its result does not depend on the run or on the number of intra-op
// threads; every other conv keeps the direct native kernel, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend, registerNativeKernelFixes, unregisterNativeKernelFixes } from '@acmix-lab/runtime';
import { outputsByThreadCount } from './intra-op-runs.js';
import { nativeConv2DBackpropFilter, useNativeFilterGradient } from './native-filter-gradient.js';
import { runNativeOp } from './native-op.js';
import { winogradConv2DBackpropFilter, winogradFilterUnavailable } from './native-winograd.js';
import { ODD_WINOGRAD_CASES, type WinogradCase as Case } from './winograd-cases.js';

await initBackend('tensorflow');

const CASES: Case[] = [
  ...ODD_WINOGRAD_CASES,
  { name: '20×20, batch 16, 64 → 64 (YOLOv8n P4 bottleneck: groups)', x: [16, 20, 20, 64], cout: 64 },
  { name: '10×10, batch 2, 128 → 128 (one group, input channels in slices)', x: [2, 10, 10, 128], cout: 128 },
  { name: '40×38, batch 4, 33 → 80 (groups, blocks and threads)', x: [4, 40, 38, 33], cout: 80 },
];
const SAME = { strides: 1, pad: 'same', dataFormat: 'NHWC' };

function inputs(c: Case, seed = 1) {
  const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
  const dy = tf.randomNormal([...c.x.slice(0, 3), c.cout] as [number, number, number, number], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  return { x, dy, filterShape: [3, 3, c.x[3], c.cout] as [number, number, number, number] };
}

/** dW through tfjs' conv2d gradient: TensorFlow's kernel (stock) or the native filter gradient hook. */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, cout: number, route: 'stock' | 'native'): tf.Tensor {
  if (route === 'stock') unregisterNativeKernelFixes();
  useNativeFilterGradient(route === 'native');
  try {
    return tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'), dy)))(tf.zeros([3, 3, x.shape[3], cout]));
  } finally { registerNativeKernelFixes(); useNativeFilterGradient(false); }
}

/** The direct native kernel (native/conv_backprop_filter.cc) of a 3×3 'same' stride-1 conv. */
function directNative(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const attrs = { kernel_h: 3, kernel_w: 3, stride_h: 1, stride_w: 1, pad_top: 1, pad_left: 1, padded_order: 0 };
  return runNativeOp('conv2dBackpropFilter', attrs, [x, dy], 1)[0]!;
}

describe('Winograd 3×3 filter gradient', () => {
  afterAll(() => { useNativeFilterGradient(false); });

  it('is built and loaded (npm ci builds it; ACMIX_LAB_FUSED=0 or ACMIX_LAB_WINOGRAD_FILTER=0 are the only reasons to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0' || process.env.ACMIX_LAB_WINOGRAD_FILTER === '0') return;
    expect(winogradFilterUnavailable()).toBeNull();
  });

  it.skipIf(winogradFilterUnavailable() !== null).each(CASES)('$name: equals TensorFlow\'s Conv2DBackpropFilter', async (c) => {
    const leaked = await countLeakedTensors(() => {
      tf.tidy(() => {
        const { x, dy, filterShape } = inputs(c);
        const stock = filterGradient(x, dy, c.cout, 'stock');
        // Σ|x·dy| per weight, the largest of a channel pair's 9 taps: Winograd mixes the 9 taps' terms, so its float32
        // rounding is relative to that (on maps smaller than a tile, taps reading only padding are 0 ± rounding).
        const scale = tf.max(filterGradient(tf.abs(x), tf.abs(dy), c.cout, 'stock'), [0, 1], true);
        const hooked = filterGradient(x, dy, c.cout, 'native');
        const winograd = winogradConv2DBackpropFilter(x, dy, { ...SAME, filterShape })!;
        expect(winograd).not.toBeNull();
        // The hook ran Winograd, not the direct kernel.
        expect(hooked.dataSync()).toEqual(winograd.dataSync());
        expect(hooked.shape).toEqual(stock.shape);
        const err = tf.max(tf.div(tf.abs(tf.sub(hooked, stock)), scale)).dataSync()[0]!;
        // F(4×4)'s transforms scale terms by up to 8 and 16/15, so its float32 rounding is several ε of that scale
        // where a direct sum's is about one (docs/benchmarks.md: against float64 at YOLOv8n's shapes); measured
        // ≤ 1.2e-6 here (the 2×3 map). A wrong tap, tile edge or channel would be off by O(1).
        expect(err).toBeLessThan(1e-5);
      });
    });
    expect(leaked).toBe(0);
  });

  it.skipIf(winogradFilterUnavailable() !== null)('declines every other conv, which keeps the direct native kernel, and with ACMIX_LAB_WINOGRAD_FILTER=0 or ACMIX_LAB_FUSED=0', () => {
    tf.tidy(() => {
      const { x, dy, filterShape } = inputs(CASES[0]!);
      // Explicit padding of 1 on every side is the same conv.
      expect(winogradConv2DBackpropFilter(x, dy, { ...SAME, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], filterShape })).not.toBeNull();
      const declined: [tf.Tensor4D, Record<string, unknown>][] = [
        [dy, { strides: 2, filterShape }], [dy, { pad: 'valid', filterShape }], [dy, { dataFormat: 'NCHW', filterShape }],
        [dy, { pad: [[0, 0], [1, 2], [1, 1], [0, 0]], filterShape }], [dy, { filterShape: [5, 5, 17, 33] }],
        [dy, { filterShape: [1, 1, 17, 33] }], [tf.slice(dy, 0, [1, 6, 9, 33]), { filterShape }],
      ];
      for (const [grad, change] of declined) expect(winogradConv2DBackpropFilter(x, grad, { ...SAME, ...change } as tf.NamedAttrMap)).toBeNull();
      // A 5×5 conv through the hook: the direct kernel, as before.
      const five = nativeConv2DBackpropFilter(x, dy, { ...SAME, filterShape: [5, 5, 17, 33] })!;
      const fivePadded = runNativeOp('conv2dBackpropFilter', { kernel_h: 5, kernel_w: 5, stride_h: 1, stride_w: 1, pad_top: 2, pad_left: 2, padded_order: 0 }, [x, dy], 1)[0]!;
      expect(five.dataSync()).toEqual(fivePadded.dataSync());
      const direct = directNative(x, dy);
      process.env.ACMIX_LAB_WINOGRAD_FILTER = '0';
      try {
        expect(winogradConv2DBackpropFilter(x, dy, { ...SAME, filterShape })).toBeNull();
        // The hook falls back to the direct native kernel, bit for bit.
        expect(nativeConv2DBackpropFilter(x, dy, { ...SAME, filterShape })!.dataSync()).toEqual(direct.dataSync());
      } finally { delete process.env.ACMIX_LAB_WINOGRAD_FILTER; }
      process.env.ACMIX_LAB_FUSED = '0';
      try {
        expect(winogradConv2DBackpropFilter(x, dy, { ...SAME, filterShape })).toBeNull();
      } finally { delete process.env.ACMIX_LAB_FUSED; }
    });
  });

  it('declines on the cpu backend', async () => {
    await tf.setBackend('cpu');
    try {
      expect(winogradFilterUnavailable()).toMatch(/backend is cpu/);
    } finally { await tf.setBackend('tensorflow'); }
  });
});

// dW of the three largest cases (groups, slices, blocks) by Winograd, hashed, twice in one process; run below with 1, 2 and 3 intra-op threads.
const DETERMINISM_CHILD = `
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
const { winogradConv2DBackpropFilter } = await import(process.env.MODULE_URL);
await initBackend('tensorflow');
const hash = ([n, h, w, cin, cout]) => tf.tidy(() => {
  const dw = winogradConv2DBackpropFilter(tf.randomNormal([n, h, w, cin], 0, 1, 'float32', 7), tf.randomNormal([n, h, w, cout], 0, 1, 'float32', 8),
    { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, cin, cout] });
  return createHash('sha256').update(dw.dataSync()).digest('hex');
});
const shapes = JSON.parse(process.env.SHAPES);
console.log(JSON.stringify([shapes.map(hash), shapes.map(hash)]));
`;

describe.skipIf(winogradFilterUnavailable() !== null)('Winograd 3×3 filter gradient determinism', () => {
  it('is bit-identical run after run, and with 1, 2 or 3 intra-op threads', () => {
    const shapes = CASES.slice(-3).map((c) => [...c.x, c.cout]);
    const runs = outputsByThreadCount<[string[], string[]]>(DETERMINISM_CHILD, { SHAPES: JSON.stringify(shapes),
      MODULE_URL: new URL('./native-winograd.ts', import.meta.url).href });
    expect(runs[0]![1]).toEqual(runs[0]![0]);
    for (const [first, second] of runs) expect([first, second]).toEqual(runs[0]);
  });
});
