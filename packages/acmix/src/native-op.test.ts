// The fused native kernels against the composed TensorFlow.js version (itself checked against
// PyTorch by parity.test.ts) on shapes the small fixtures do not reach: rows wider than one
// 16-column SIMD block, odd sizes with stride and dilation together, head_dim not a multiple of 4. Every conv-path
// route: qkvConv over q′, k, v with fc folded into dep_conv (the default), reading them in place or gathering them
// into padded planes (ACMIX_LAB_ACMIX_DIRECT_CONV=0), and dep_conv over f_conv (ACMIX_LAB_ACMIX_FOLDED_CONV=0).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ACmix, type ACmixArgs } from './layer.js';
import { fusedAttentionUnavailable } from './native-op.js';

await initBackend();
const unavailable = fusedAttentionUnavailable();

/** Output and the gradients of input and every weight for loss = Σ output · gy. */
function run(layer: ACmix, x: tf.Tensor4D, gy: tf.Tensor, fused: boolean): tf.Tensor[] {
  process.env.ACMIX_LAB_FUSED = fused ? '1' : '0';
  return tf.tidy(() => {
    const xv = tf.variable(x);
    const vars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    let out: tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      out = tf.keep(layer.apply(xv) as tf.Tensor);
      return tf.sum(tf.mul(out, gy)) as tf.Scalar;
    }, vars);
    const result = [out!, ...vars.map((v) => grads[v.name] ?? tf.zerosLike(v))];
    xv.dispose();
    return result;
  });
}

const ROUTES = [['1', '1'], ['1', '0'], ['0', '1']];

describe.skipIf(unavailable).each(ROUTES)('fused ACmix kernels, ACMIX_LAB_ACMIX_FOLDED_CONV=%s ACMIX_LAB_ACMIX_DIRECT_CONV=%s', (folded, direct) => {
  beforeAll(() => { process.env.ACMIX_LAB_ACMIX_FOLDED_CONV = folded; process.env.ACMIX_LAB_ACMIX_DIRECT_CONV = direct; });
  afterAll(() => {
    delete process.env.ACMIX_LAB_FUSED;
    delete process.env.ACMIX_LAB_ACMIX_FOLDED_CONV;
    delete process.env.ACMIX_LAB_ACMIX_DIRECT_CONV;
  });

  // Weights are N(0, 0.3): at 256 channels that saturates the softmax, so this case uses N(0, 0.05)
  // (conv2.bias's attention gradient cancels exactly, leaving only round-off to compare otherwise).
  const cases: [string, [number, number, number, number], ACmixArgs, number?][] = [
    ['wide rows (several SIMD blocks), 7×7 window', [2, 9, 37, 8], { outPlanes: 16, head: 4 }],
    ['stride 2 and dilation 2 on odd sizes', [2, 13, 21, 6], { outPlanes: 12, head: 2, kernelAtt: 5, stride: 2, dilation: 2 }],
    ['head_dim 5, kernel_conv 5, stride 3', [1, 17, 34, 5], { outPlanes: 15, head: 3, kernelAtt: 3, kernelConv: 5, stride: 3 }],
    ['map smaller than the window', [3, 2, 40, 4], { outPlanes: 8, head: 2, kernelAtt: 7 }],
    // The seed's P5 ACmix (yolov8-acmix-neck.yaml: 256 channels on 10×10 at imgsz 320), batch 1.
    ['seed v1 P5 shape, batch 1', [1, 10, 10, 256], { outPlanes: 256 }, 0.05],
    // Many (image, head) tasks, so the thread pool splits the work; head_dim 9 (not a multiple of 16).
    ['batch 6, odd map, 36 channels', [6, 21, 19, 36], { outPlanes: 36 }],
  ];

  it.each(cases)('%s: same output and gradients as the composed version', (_, shape, args, std = 0.3) => {
    const layer = new ACmix(args);
    // Seeded: a rate's gradient is one sum over every pixel, which an unlucky draw nearly cancels; its relative
    // error then measures the summation order (native filter gradient or MatMul) rather than the kernels.
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
    layer.build(x.shape);
    // Random weights everywhere, rates included, so every term of every gradient is exercised.
    tf.tidy(() => layer.trainableWeights.forEach((w, i) => w.write(tf.randomNormal(w.shape as number[], 0, std, 'float32', 3 + i))));
    const gy = tf.randomNormal(layer.computeOutputShape(x.shape) as number[], 0, 1, 'float32', 2);
    const composed = run(layer, x, gy, false);
    const fused = run(layer, x, gy, true);
    const names = ['output', 'input', ...layer.trainableWeights.map((w) => w.originalName)];
    fused.forEach((f, i) => {
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(f, composed[i]!))).dataSync()[0]! /
        Math.max(tf.max(tf.abs(composed[i]!)).dataSync()[0]!, 1e-6));
      if (!names[i]!.endsWith('conv_p.bias')) expect(err, names[i]).toBeLessThan(1e-4);
    });
    tf.dispose([...composed, ...fused, x, gy]);
    layer.weights.forEach((w) => w.dispose());
  });

  it('gives bit-identical results run after run, and leaks no tensors', () => {
    const layer = new ACmix({ outPlanes: 24, head: 4 });
    const x = tf.randomNormal([5, 15, 23, 24]) as tf.Tensor4D;
    layer.build(x.shape);
    const gy = tf.randomNormal([5, 15, 23, 24]);
    const first = run(layer, x, gy, true);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const again = run(layer, x, gy, true);
      again.forEach((t, j) => expect(Array.from(t.dataSync())).toEqual(Array.from(first[j]!.dataSync())));
      tf.dispose(again);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...first, x, gy]);
    layer.weights.forEach((w) => w.dispose());
  });
});

// The fused layer's output and gradients, hashed, for two shapes: a wide map (the projections' weight gradients by
// the native filter gradient) and the seed's P5 layer at batch 2 (by MatMul), on every conv-path route. Run below
// with 1, 2 and 3 threads.
const DETERMINISM_CHILD = `
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
const { ACmix } = await import(process.env.MODULE_URL);
await initBackend('tensorflow');
const cases = [[[4, 30, 30, 24], 24], [[2, 10, 10, 256], 256]];
const hashes = ${JSON.stringify(ROUTES)}.flatMap(([folded, direct]) => cases.map(([shape, outPlanes]) => tf.tidy(() => {
  process.env.ACMIX_LAB_ACMIX_FOLDED_CONV = folded;
  process.env.ACMIX_LAB_ACMIX_DIRECT_CONV = direct;
  const layer = new ACmix({ outPlanes });
  const x = tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 1));
  layer.build(x.shape);
  layer.trainableWeights.forEach((w, i) => w.write(tf.randomNormal(w.shape, 0, 0.05, 'float32', 3 + i)));
  const gy = tf.randomNormal(layer.computeOutputShape(x.shape), 0, 1, 'float32', 2);
  const vars = [x, ...layer.trainableWeights.map((w) => w.read())];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x), gy)), vars);
  const hash = createHash('sha256').update(value.dataSync());
  for (const v of vars) if (grads[v.name]) hash.update(grads[v.name].dataSync()); // conv_p.bias has none
  return hash.digest('hex');
})));
console.log(JSON.stringify(hashes));
`;

describe.skipIf(unavailable)('fused ACmix layer determinism', () => {
  it('is bit-identical with 1, 2 or 3 intra-op threads', () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const runs = ['1', '2', '3'].map((threads) => {
      const res = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', DETERMINISM_CHILD], {
        encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, TF_NUM_INTRAOP_THREADS: threads, MODULE_URL: new URL('./layer.ts', import.meta.url).href },
      });
      expect(res.status, res.stderr).toBe(0);
      return JSON.parse(res.stdout.trim().split('\n').at(-1)!) as string[];
    });
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});
