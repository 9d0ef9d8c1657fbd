// ACmixQkvConv's two routes against each other (native/qkv_conv.cc): q, k, v read in place (qkv_direct.h, the
// default) and gathered into padded planes (ACMIX_LAB_ACMIX_DIRECT_CONV=0). Both sum the output and the input
// gradients in the same order, so those must be bit-identical; the weight gradient sums its pixels in another order
// (within float round-off). The layer on both routes against the composed tfjs version: native-op.test.ts.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable, runNativeOp } from './native-op.js';

await initBackend();
const unavailable = fusedAttentionUnavailable();

// [batch, height, width, heads T, groups G = head_dim, kernel_conv, stride, rate1]
const cases: [string, number[]][] = [
  ['seed v1 P3 channels (G 16), odd map', [2, 13, 19, 4, 16, 3, 1, 0.7]],
  ['G 18 (two vectors, the second partial), stride 2, odd sizes', [3, 17, 23, 4, 18, 3, 2, 0.4]],
  ['G 5, three heads, kernel_conv 5, stride 3', [2, 13, 11, 3, 5, 5, 3, -1.2]],
  ['batch 1, G 64 (seed v1 P5), rate1 = 0', [1, 10, 10, 4, 64, 3, 1, 0]],
  ['kernel_conv 1, one pixel wide', [2, 6, 1, 2, 9, 1, 1, 0.5]],
  ['map smaller than the kernel', [2, 1, 2, 4, 7, 5, 2, 0.9]],
];

describe.skipIf(unavailable)('ACmixQkvConv: q, k, v read in place against the padded planes', () => {
  it.each(cases)('%s', (_, [b, h, w, t, g, kc, s, r1]) => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const [ho, wo] = [Math.ceil(h! / s!), Math.ceil(w! / s!)];
      const normal = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
      const inputs = [normal([b!, h!, w!, t!, g! + 2], 1), normal([b!, h!, w!, t!, g! + 2], 2), normal([b!, h!, w!, t!, g!], 3),
        normal([b!, ho, wo, g! * t!], 4), normal([g!, 3 * t!, t! * kc! * kc!], 5), tf.tensor1d([r1!])];
      const dout = normal([b!, ho, wo, g! * t!], 6);
      const [planes, direct] = [0, 1].map((route) => {
        const attrs = { kernel: kc!, stride: s!, direct: route };
        return [...runNativeOp('qkvConv', attrs, inputs, 1), ...runNativeOp('qkvConvGrad', attrs, [...inputs, dout], 6)];
      });
      ['out', 'dq', 'dk', 'dv', 'datt', 'dw', 'drate1'].forEach((name, i) => {
        const [p, d] = [planes![i]!.dataSync(), direct![i]!.dataSync()];
        if (name !== 'dw') {
          expect(Buffer.from(d.buffer).equals(Buffer.from(p.buffer)), name).toBe(true);
          return;
        }
        const scale = Math.max(...p.map(Math.abs));
        const err = Math.max(...p.map((x, j) => Math.abs(x - d[j]!)));
        expect(err / scale, name).toBeLessThan(2e-6);
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
