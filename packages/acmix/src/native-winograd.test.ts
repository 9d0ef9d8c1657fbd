// The Winograd 3×3 conv (native/winograd_conv.cc) against the kernels it replaces, TensorFlow's Conv2D and
// Conv2DBackpropInput: odd maps, maps smaller than a tile (1×1, 2×3: tiles that are mostly padding), batch 1 and 16,
// channel counts that are not multiples of 16, and a map large enough to be split over blocks and threads. Its
// result does not depend on the run or on the number of intra-op threads; every other conv is declined.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { outputsByThreadCount } from './intra-op-runs.js';
import { useWinogradConv, winogradConv2D, winogradConv2DBackpropInput, winogradUnavailable } from './native-winograd.js';
import { ODD_WINOGRAD_CASES, type WinogradCase as Case } from './winograd-cases.js';

await initBackend('tensorflow');

const CASES: Case[] = [
  ...ODD_WINOGRAD_CASES,
  { name: '10×10, 128 → 128 (YOLOv8n P5 bottleneck, batch 2)', x: [2, 10, 10, 128], cout: 128 },
  { name: '40×38, batch 4, 64 → 80 (many blocks and threads)', x: [4, 40, 38, 64], cout: 80 },
];

function inputs(c: Case, seed = 1) {
  const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c.x[3], c.cout], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  const dy = tf.randomNormal([...c.x.slice(0, 3), c.cout] as [number, number, number, number], 0, 1, 'float32', seed + 2) as tf.Tensor4D;
  return { x, w, dy };
}

/** y and dx of the conv through tfjs' conv2d and its gradient, with whichever kernels are installed. */
function convAndInputGradient(x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D, winograd: boolean): [tf.Tensor, tf.Tensor] {
  useWinogradConv(winograd);
  try {
    const y = tf.conv2d(x, w, 1, 'same');
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, w, 1, 'same'), dy)))(x);
    return [y, dx];
  } finally { useWinogradConv(false); }
}

describe('Winograd 3×3 conv', () => {
  afterAll(() => { useWinogradConv(false); });

  it('is built and loaded (npm ci builds it; ACMIX_LAB_FUSED=0 or ACMIX_LAB_WINOGRAD=0 are the only reasons to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0' || process.env.ACMIX_LAB_WINOGRAD === '0') return;
    expect(winogradUnavailable()).toBeNull();
  });

  it.skipIf(winogradUnavailable() !== null).each(CASES)('$name: equals TensorFlow\'s Conv2D and Conv2DBackpropInput', async (c) => {
    const leaked = await countLeakedTensors(() => {
      tf.tidy(() => {
        const { x, w, dy } = inputs(c);
        const [stockY, stockDx] = convAndInputGradient(x, w, dy, false);
        // Σ|x·w| per output and Σ|dy·w| per input: the size of what float32 rounding is relative to.
        const [scaleY, scaleDx] = convAndInputGradient(tf.abs(x), tf.abs(w), tf.abs(dy), false);
        const [y, dx] = convAndInputGradient(x, w, dy, true);
        const err = (a: tf.Tensor, b: tf.Tensor, scale: tf.Tensor) => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(scale, 1e-30))).dataSync()[0]!;
        expect(y.shape).toEqual(stockY.shape);
        expect(dx.shape).toEqual(stockDx.shape);
        // Winograd in float32 (F(2×2) forward, F(4×4) input gradient): its transforms scale terms by up to 8 and
        // 1/15, so its rounding error is several ε of Σ|x·w| where a direct sum's is about one (docs/benchmarks.md:
        // against float64 at YOLOv8n's shapes). Measured here ≤ 3.4e-7 of Σ|x·w| forward, ≤ 1.3e-6 backward but
        // 9.6e-6 where dy has 3 channels on a 1×1 map (3 terms: the error is relative to the transformed terms,
        // not to Σ|dy·w|); a wrong tap, tile edge or channel would be off by O(1).
        expect(err(y, stockY, scaleY)).toBeLessThan(5e-5);
        expect(err(dx, stockDx, scaleDx)).toBeLessThan(5e-5);
      });
    });
    expect(leaked).toBe(0);
  });

  it.skipIf(winogradUnavailable() !== null)('declines other kernels, strides, dilations, padding and layouts, and with ACMIX_LAB_WINOGRAD=0 or ACMIX_LAB_FUSED=0', () => {
    tf.tidy(() => {
      const { x, w, dy } = inputs(CASES[0]!);
      const same = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
      expect(winogradConv2D(x, w, same)).not.toBeNull();
      expect(winogradConv2DBackpropInput(dy, w, { ...same, inputShape: x.shape })).not.toBeNull();
      // Explicit padding of 1 on every side is the same conv.
      expect(winogradConv2D(x, w, { ...same, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] })).not.toBeNull();
      const declined = [{ strides: 2 }, { dilations: 2 }, { pad: 'valid' }, { pad: [[0, 0], [1, 2], [1, 1], [0, 0]] }, { dataFormat: 'NCHW' }];
      for (const change of declined) expect(winogradConv2D(x, w, { ...same, ...change })).toBeNull();
      expect(winogradConv2D(x, tf.zeros([5, 5, 17, 33]) as tf.Tensor4D, same)).toBeNull();
      expect(winogradConv2D(x, tf.zeros([1, 1, 17, 33]) as tf.Tensor4D, same)).toBeNull();
      expect(winogradConv2DBackpropInput(dy, w, { ...same, strides: 2, inputShape: x.shape })).toBeNull();
      expect(winogradConv2DBackpropInput(dy, w, { ...same, pad: 'valid', inputShape: [1, 9, 11, 17] })).toBeNull();
      const [stockY, stockDx] = convAndInputGradient(x, w, dy, false);
      for (const env of ['ACMIX_LAB_WINOGRAD', 'ACMIX_LAB_FUSED']) {
        process.env[env] = '0';
        try {
          expect(winogradConv2D(x, w, same)).toBeNull();
          // Installed but declining: TensorFlow's kernels run.
          const [y, dx] = convAndInputGradient(x, w, dy, true);
          expect(y.dataSync()).toEqual(stockY.dataSync());
          expect(dx.dataSync()).toEqual(stockDx.dataSync());
        } finally { delete process.env[env]; }
      }
    });
  });

  it('declines on the cpu backend', async () => {
    await tf.setBackend('cpu');
    try {
      expect(winogradUnavailable()).toMatch(/backend is cpu/);
    } finally { await tf.setBackend('tensorflow'); }
  });
});

// y and dx of the large case by Winograd, hashed, twice in one process; run below with 1, 2 and 3 intra-op threads.
const DETERMINISM_CHILD = `
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
const { winogradConv2D, winogradConv2DBackpropInput } = await import(process.env.MODULE_URL);
await initBackend('tensorflow');
const [n, h, w, cin, cout] = JSON.parse(process.env.SHAPE);
const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, inputShape: [n, h, w, cin] };
const hash = () => tf.tidy(() => {
  const filter = tf.randomNormal([3, 3, cin, cout], 0, 1, 'float32', 6);
  const y = winogradConv2D(tf.randomNormal([n, h, w, cin], 0, 1, 'float32', 7), filter, attrs);
  const dx = winogradConv2DBackpropInput(tf.randomNormal([n, h, w, cout], 0, 1, 'float32', 8), filter, attrs);
  return [y, dx].map((t) => createHash('sha256').update(t.dataSync()).digest('hex'));
});
console.log(JSON.stringify([hash(), hash()]));
`;

describe.skipIf(winogradUnavailable() !== null)('Winograd 3×3 conv determinism', () => {
  it('is bit-identical run after run, and with 1, 2 or 3 intra-op threads', () => {
    const big = CASES.at(-1)!;
    const runs = outputsByThreadCount<[string[], string[]]>(DETERMINISM_CHILD, { SHAPE: JSON.stringify([...big.x, big.cout]),
      MODULE_URL: new URL('./native-winograd.ts', import.meta.url).href });
    expect(runs[0]![1]).toEqual(runs[0]![0]);
    for (const [first, second] of runs) expect([first, second]).toEqual(runs[0]);
  });
});
