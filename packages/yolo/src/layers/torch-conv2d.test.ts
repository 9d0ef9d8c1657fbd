// TorchConv2d's PyTorch padding on the native backend: where TensorFlow's SAME differs (stride 2, padding 1: YOLO's
// downsampling convs) the padding goes to the conv as explicit padding instead of a zero-padded copy of x. Output and
// the gradients of x, kernel and bias are bit for bit what the padded copy gave (ACMIX_LAB_EXPLICIT_PAD=0), with
// TensorFlow's filter gradient and with @acmix-lab/acmix's native one (as the trainer runs it), over batch 1, odd
// sizes, channel counts that are not multiples of 16, groups and padding 2; no Pad op runs. (Stride-1 convs keep the
// padded copy where the padding is not SAME: oneDNN sums those in another order with explicit padding.)
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fusedAttentionUnavailable, useNativeFilterGradient } from '@acmix-lab/acmix';
import { bitDifferences, countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { TorchConv2d, type TorchConv2dArgs } from './torch-conv2d.js';

await initBackend('tensorflow');

interface Case { name: string; x: [number, number, number, number]; conv: TorchConv2dArgs }

const CASES: Case[] = [
  { name: 'the stem: 3×3 stride 2, c_in 3, batch 1, odd map', x: [1, 17, 15, 3], conv: { filters: 16, kernelSize: 3, strides: 2, padding: 1 } },
  { name: '3×3 stride 2, 4×40×40×32 → 64', x: [4, 40, 40, 32], conv: { filters: 64, kernelSize: 3, strides: 2, padding: 1 } },
  { name: '3×3 stride 2, c_in 33 → 17, bias', x: [2, 11, 9, 33], conv: { filters: 17, kernelSize: 3, strides: 2, padding: 1, useBias: true } },
  { name: '3×3 stride 2, groups 2', x: [2, 10, 10, 12], conv: { filters: 8, kernelSize: 3, strides: 2, padding: 1, groups: 2 } },
  { name: '5×5 stride 2, padding 2, c_in 20', x: [3, 14, 13, 20], conv: { filters: 24, kernelSize: 5, strides: 2, padding: 2 } },
];

/** Output, and the gradients of x and every weight, of Σ conv(x)·dy (the padding explicit or a padded copy of x). */
function run(c: Case, explicit: boolean): Float32Array[] {
  if (!explicit) process.env.ACMIX_LAB_EXPLICIT_PAD = '0';
  const layer = new TorchConv2d({ ...c.conv, name: 'conv' });
  try {
    layer.build(c.x);
    return tf.tidy(() => {
      layer.weights.forEach((w, i) => w.write(tf.randomUniform(w.shape as number[], -0.3, 0.3, 'float32', 10 + i)));
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
      const dy = tf.randomNormal(layer.computeOutputShape(c.x) as number[], 0, 1, 'float32', 2);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, dy)) as tf.Scalar);
      const dx = tf.grad((xi: tf.Tensor) => tf.mul(layer.apply(xi) as tf.Tensor, dy))(x);
      const weightGrads = layer.weights.map((w) => grads[(w.read() as tf.Variable).name]!);
      return [layer.apply(x) as tf.Tensor, dx, ...weightGrads].map((t) => t.dataSync() as Float32Array);
    });
  } finally {
    layer.weights.forEach((w) => w.dispose());
    delete process.env.ACMIX_LAB_EXPLICIT_PAD;
  }
}

describe('TorchConv2d with explicit padding on the native backend', () => {
  afterAll(() => { useNativeFilterGradient(false); });

  for (const native of [false, true]) {
    it.skipIf(native && fusedAttentionUnavailable() !== null).each(CASES)(`$name: bit for bit the padded copy, ${native ? 'native' : 'TensorFlow\'s'} filter gradient`, async (c) => {
      useNativeFilterGradient(native);
      const leaked = await countLeakedTensors(() => {
        const explicit = run(c, true);
        const padded = run(c, false);
        expect(explicit.length).toBe(padded.length);
        explicit.forEach((v, i) => expect(bitDifferences(v, padded[i]!), `output ${i}`).toBe(0));
      });
      expect(leaked).toBe(0);
    });
  }

  it('runs no Pad op (with ACMIX_LAB_EXPLICIT_PAD=0 it does)', async () => {
    const kernels = async (explicit: boolean) => {
      if (!explicit) process.env.ACMIX_LAB_EXPLICIT_PAD = '0';
      try {
        const layer = new TorchConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 1, name: 'conv' });
        const x = tf.ones([1, 8, 8, 3]);
        try {
          layer.build(x.shape);
          return (await tf.profile(() => { tf.dispose(layer.apply(x) as tf.Tensor); })).kernelNames;
        } finally { x.dispose(); layer.weights.forEach((w) => w.dispose()); }
      } finally { delete process.env.ACMIX_LAB_EXPLICIT_PAD; }
    };
    expect((await kernels(true)).filter((k) => k.startsWith('Pad'))).toEqual([]);
    expect((await kernels(false)).filter((k) => k.startsWith('Pad')).length).toBe(1);
  });
});
