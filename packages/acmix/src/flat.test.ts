// concatFlat / splitFlat (native/flat.cc) against stock reshape + concat / split: scalars, empty and odd
// shapes, one piece, and ~190 YOLO-sized pieces large enough to be copied across the thread pool; and the
// stock-op route used without the kernels.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { concatFlat, splitFlat } from './flat.js';
import { fusedAttentionUnavailable } from './native-op.js';

await initBackend('tensorflow');

/** The tensor's bytes, to compare bit for bit (toEqual over a million numbers takes seconds). */
function bits(t: tf.Tensor): Buffer {
  const d = t.dataSync() as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

const YOLO_LIKE: number[][] = Array.from({ length: 190 }, (_, i) =>
  i % 3 === 0 ? [3, 3, 16 + (i % 7) * 16, 32 + (i % 5) * 16] : [16 + (i % 11) * 8]);
const cases: [string, number[][]][] = [
  ['one piece', [[7]]],
  ['a scalar, an empty and odd shapes', [[], [3, 0, 2], [5, 3], [1, 1, 1, 13], [2, 3, 5, 7]]],
  ['190 YOLO-sized pieces (multi-thread copy)', YOLO_LIKE],
];

describe('flat concat and split', () => {
  it('use the native kernels (npm ci builds them; ACMIX_LAB_FUSED=0 is the only reason not to)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0') return;
    expect(fusedAttentionUnavailable()).toBeNull();
  });

  it.each(cases)('%s: equal stock reshape + concat, and split back exactly', async (_, shapes) => {
    expect(await countLeakedTensors(() => {
      tf.tidy(() => {
        const pieces = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i));
        const flat = concatFlat(pieces);
        const stock = tf.concat(pieces.map((p) => p.reshape([-1])));
        expect(flat.shape).toEqual(stock.shape);
        expect(bits(flat).equals(bits(stock))).toBe(true);
        const back = splitFlat(flat, shapes);
        back.forEach((b, i) => {
          expect(b.shape).toEqual(shapes[i]);
          expect(bits(b).equals(bits(pieces[i]!))).toBe(true);
        });
      });
    })).toBe(0);
  });

  it('gives the same tensors through stock ops when the native kernels are off (ACMIX_LAB_FUSED=0)', () => {
    const shapes = cases[1]![1];
    tf.tidy(() => {
      const pieces = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i));
      const native = concatFlat(pieces);
      const saved = process.env.ACMIX_LAB_FUSED;
      process.env.ACMIX_LAB_FUSED = '0';
      try {
        expect(bits(concatFlat(pieces)).equals(bits(native))).toBe(true);
        splitFlat(native, shapes).forEach((b, i) => {
          expect(b.shape).toEqual(shapes[i]);
          expect(bits(b).equals(bits(pieces[i]!))).toBe(true);
        });
      } finally {
        if (saved === undefined) delete process.env.ACMIX_LAB_FUSED;
        else process.env.ACMIX_LAB_FUSED = saved;
      }
    });
  });

  it('refuses a flat tensor of the wrong size and non-float32 pieces', () => {
    tf.tidy(() => {
      expect(() => splitFlat(tf.zeros([5]), [[2, 3]])).toThrow(/\[5\] does not hold the 6 elements of 1 piece/);
      expect(() => concatFlat([tf.zeros([2]), tf.zeros([2], 'int32')])).toThrow(/only float32 .* int32 \[2\]/);
    });
  });
});
