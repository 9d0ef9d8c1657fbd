// The native concat and split (native/concat_split.cc) against the kernels they replace, TensorFlow's ConcatV2 and
// SplitV (tfjs-node's stock kernels): bit for bit, forward and through tfjs' gradients (a concat's gradient is a split,
// a split's a concat, with zeros for unused outputs), along every axis of 4-D NHWC tensors and of Detect's 3-D
// [B, anchors, channels], channel counts that are not multiples of 16 (1, 5, 17, 33), batch 1, one to five parts,
// empty parts, and YOLOv8n's own shapes, large enough to be split over threads.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bitDifferences, countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable } from './native-op.js';
import { nativeConcatSplitUnavailable, useNativeConcatSplit } from './native-concat-split.js';

await initBackend('tensorflow');

interface Case { name: string; shapes: number[][]; axis: number }

const CASES: Case[] = [
  { name: 'C2f at YOLOv8n 40×40: 64 + 32 + 32 channels', shapes: [[4, 40, 40, 64], [4, 40, 40, 32], [4, 40, 40, 32]], axis: -1 },
  { name: 'neck concat 40×40: 128 + 64 channels', shapes: [[2, 40, 40, 128], [2, 40, 40, 64]], axis: 3 },
  { name: 'batch 1, odd channels 5 + 17 + 1 + 33 + 16', shapes: [[1, 7, 9, 5], [1, 7, 9, 17], [1, 7, 9, 1], [1, 7, 9, 33], [1, 7, 9, 16]], axis: -1 },
  { name: 'one part', shapes: [[2, 3, 5, 17]], axis: -1 },
  { name: 'an empty part', shapes: [[2, 3, 5, 17], [2, 3, 5, 0], [2, 3, 5, 3]], axis: -1 },
  { name: 'along height, odd sizes', shapes: [[3, 5, 7, 33], [3, 2, 7, 33]], axis: 1 },
  { name: 'along width', shapes: [[2, 5, 7, 3], [2, 5, 1, 3], [2, 5, 4, 3]], axis: 2 },
  { name: 'along the batch', shapes: [[1, 5, 7, 3], [2, 5, 7, 3]], axis: 0 },
  { name: 'Detect levels [B, anchors, 4·16 + nc] along anchors', shapes: [[4, 1600, 65], [4, 400, 65], [4, 100, 65]], axis: 1 },
  { name: 'Detect box + cls along channels, nc 1', shapes: [[4, 400, 64], [4, 400, 1]], axis: -1 },
  { name: 'vectors', shapes: [[5], [17], [1]], axis: 0 },
];

const parts = (c: Case) => c.shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i + 1));
const axisOf = (c: Case) => (c.axis < 0 ? c.shapes[0]!.length + c.axis : c.axis);
const sizes = (c: Case) => c.shapes.map((s) => s[axisOf(c)]!);
const wholeShape = (c: Case) => c.shapes[0]!.map((d, i) => (i === axisOf(c) ? sizes(c).reduce((a, b) => a + b, 0) : d));

/** The native op names `f` executed (the binding is frozen: a stand-in that inherits from it, as step-profile.ts does). */
function opsRun(f: () => void): Set<string> {
  type Binding = { executeOp: (name: string, ...rest: unknown[]) => unknown };
  const backend = tf.backend() as unknown as { binding: Binding };
  const original = backend.binding;
  const names = new Set<string>();
  const spy = Object.create(original) as Binding;
  Object.defineProperty(spy, 'executeOp', { value: (name: string, ...rest: unknown[]) => { names.add(name); return original.executeOp(name, ...rest); } });
  backend.binding = spy;
  try { f(); } finally { backend.binding = original; }
  return names;
}

/** f's values with the stock kernels and with the native ones, and the ops each ran. */
function bothWays(f: () => tf.Tensor[]): { stock: Float32Array[]; native: Float32Array[]; stockOps: Set<string>; nativeOps: Set<string> } {
  const run = (on: boolean) => {
    useNativeConcatSplit(on);
    try {
      let values: Float32Array[] = [];
      const ops = opsRun(() => { values = tf.tidy(f).map((t) => { const v = t.dataSync() as Float32Array; t.dispose(); return v; }); });
      return { values, ops };
    } finally { useNativeConcatSplit(false); }
  };
  const s = run(false), n = run(true);
  return { stock: s.values, native: n.values, stockOps: s.ops, nativeOps: n.ops };
}

function expectSameBits(r: ReturnType<typeof bothWays>): void {
  expect(r.native.length).toBe(r.stock.length);
  r.native.forEach((v, i) => { expect(bitDifferences(v, r.stock[i]!)).toBe(0); });
}

describe('native concat and split', () => {
  afterAll(() => { useNativeConcatSplit(false); });

  it('is built and loaded (npm ci builds it; ACMIX_LAB_FUSED=0 is the only reason to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0') return;
    expect(nativeConcatSplitUnavailable()).toBeNull();
  });

  describe.skipIf(fusedAttentionUnavailable() !== null).each(CASES)('$name', (c) => {
    it('concat: bit-identical to ConcatV2, and its gradient to SplitV', async () => {
      const leaked = await countLeakedTensors(() => {
        const xs = parts(c);
        const dy = tf.randomNormal(wholeShape(c), 0, 1, 'float32', 9);
        const r = bothWays(() => {
          const y = tf.concat(xs, c.axis);
          const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(ts, c.axis), dy)))(xs);
          return [y, ...grads];
        });
        expectSameBits(r);
        // The copy is where it belongs: part i's values sit at its offset along the axis.
        const offset = sizes(c).slice(0, -1).reduce((a, b) => a + b, 0);
        const last = xs.at(-1)!;
        const begin = last.shape.map((_, d) => (d === axisOf(c) ? offset : 0));
        const placed = tf.tidy(() => tf.slice(tf.tensor(r.native[0]!, wholeShape(c)), begin, last.shape).dataSync());
        expect(bitDifferences(placed, last.dataSync())).toBe(0);
        if (c.shapes.length > 1) {
          expect(r.stockOps).toContain('ConcatV2');
          expect(r.nativeOps).toContain('AcmixLabConcat');
          expect(r.nativeOps).toContain('AcmixLabSplit');
          expect(r.nativeOps).not.toContain('ConcatV2');
          expect(r.nativeOps).not.toContain('SplitV');
        }
        return [...xs, dy];
      });
      expect(leaked).toBe(0);
    });

    // tfjs' SplitV gradient fails for a single piece (it concatenates nothing): only splits into two or more.
    it.skipIf(c.shapes.length < 2)('split: bit-identical to SplitV, and its gradient (unused outputs as zeros) to ConcatV2', async () => {
      const leaked = await countLeakedTensors(() => {
        const x = tf.randomNormal(wholeShape(c), 0, 1, 'float32', 7);
        const r = bothWays(() => {
          const pieces = tf.split(x, sizes(c), c.axis);
          // Only the first piece is used: tfjs fills the others' gradients with zeros.
          const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.split(t, sizes(c), c.axis)[0]!)))(x);
          return [...pieces, dx];
        });
        expectSameBits(r);
        return [x];
      });
      expect(leaked).toBe(0);
    });
  });

  it.skipIf(fusedAttentionUnavailable() !== null)('splits evenly by a count, as SplitV does', () => {
    expectSameBits(bothWays(() => tf.split(tf.randomNormal([2, 3, 5, 18], 0, 1, 'float32', 3), 3, -1)));
  });

  it.skipIf(fusedAttentionUnavailable() !== null)('leaves int32 tensors to the stock kernels', () => {
    const r = bothWays(() => [tf.concat([tf.range(0, 6, 1, 'int32').reshape([2, 3]), tf.range(6, 8, 1, 'int32').reshape([2, 1])], 1)]);
    expect([...r.native[0]!]).toEqual([0, 1, 2, 6, 3, 4, 5, 7]);
    expect(r.nativeOps).toContain('ConcatV2');
  });

  it.skipIf(fusedAttentionUnavailable() !== null)('hands back to TensorFlow\'s kernels with ACMIX_LAB_NATIVE_CONCAT=0', () => {
    process.env.ACMIX_LAB_NATIVE_CONCAT = '0';
    try {
      expect(nativeConcatSplitUnavailable()).toMatch(/ACMIX_LAB_NATIVE_CONCAT=0/);
      const x = tf.randomNormal([2, 3, 5, 17], 0, 1, 'float32', 3);
      const r = bothWays(() => [tf.concat(tf.split(x, [5, 12], -1), -1)]);
      expectSameBits(r);
      expect(r.nativeOps).toContain('ConcatV2');
      expect(r.nativeOps).toContain('SplitV');
      expect(r.nativeOps).not.toContain('AcmixLabConcat');
      x.dispose();
    } finally { delete process.env.ACMIX_LAB_NATIVE_CONCAT; }
  });
});
