// Test helpers shared by every package that builds models (`@acmix-lab/yolo/testing`): run a model
// forward and backward like one training step and check what a working model must satisfy.
// Imports vitest: only tests import this module.
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors } from '@acmix-lab/runtime';
import type { YoloModel } from '../model.js';

/** One training step's worth of work: loss = Σ output · r, gradients for the input and every trainable weight. */
export function forwardBackward(m: YoloModel, x: tf.Tensor4D) {
  return tf.tidy(() => {
    const xv = tf.variable(x);
    const vars = m.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const y = m.forwardTrain(xv as tf.Tensor4D);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 7))) as tf.Scalar;
    }, [xv, ...vars]);
    const gradsFinite = Object.values(grads).every((g) => tf.all(tf.isFinite(g)).dataSync()[0] === 1);
    const inputGrad = tf.max(tf.abs(grads[xv.name]!)).dataSync()[0]!;
    xv.dispose();
    return { loss: value.dataSync()[0]!, gradsFinite, inputGrad, withGrad: Object.keys(grads).length - 1, vars: vars.length };
  });
}

/**
 * Forward and backward are finite, every trainable weight gets a gradient (but ACmix's conv_p bias,
 * which cancels in its softmax), the output shapes follow the Detect contract, and a second
 * forward+backward leaks no tensors.
 */
export async function exerciseModel(m: YoloModel, x: tf.Tensor4D): Promise<void> {
  const first = forwardBackward(m, x);
  expect(Number.isFinite(first.loss)).toBe(true);
  expect(first.gradsFinite).toBe(true);
  expect(first.inputGrad).toBeGreaterThan(0);
  const convPBiases = m.model.trainableWeights.filter((w) => w.originalName.endsWith('/conv_p.bias')).length;
  expect(first.withGrad).toBe(first.vars - convPBiases);
  const out = m.predict(x);
  expect(out.shape[0]).toBe(x.shape[0]);
  if (m.detect) {
    const anchors = m.levelShapes(x.shape[1], x.shape[2]).reduce((a, [h, w]) => a + h * w, 0);
    expect(out.shape).toEqual([x.shape[0], anchors, 4 + m.nc!]);
    const raw = m.forwardTrain(x);
    expect(raw.shape).toEqual([x.shape[0], anchors, 4 * m.regMax + m.nc!]);
    raw.dispose();
  }
  expect(tf.tidy(() => tf.all(tf.isFinite(out)).dataSync()[0])).toBe(1);
  tf.dispose(out);
  expect(await countLeakedTensors(() => { forwardBackward(m, x); })).toBe(0);
}
