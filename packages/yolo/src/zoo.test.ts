// The timm habit: every registered module (its own tiny example) and every yaml under
// experiments/models/ at every scale n–x is built and run forward and backward here (64×64 at
// batch 2, 64×96 at batch 1), leaking no tensors. A new module or yaml is covered without writing
// a new test. Scales s and l once died natively in oneDNN (issue 8, docs/onednn-sigfpe.md).
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { buildModel, type YoloModel } from './model.js';
import { lookupModule, moduleNames } from './registry.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../experiments/models');
const yamls = fs.readdirSync(models).filter((f) => f.endsWith('.yaml')).sort();
const SCALES = ['n', 's', 'm', 'l', 'x'];
/** [batch, height, width]: a square batch and a non-square single image (sizes are multiples of the stride 32). */
const INPUTS: [number, number, number][] = [[2, 64, 64], [1, 64, 96]];

/** One training step's worth of work: loss = Σ output · r, gradients for the input and every weight. */
function forwardBackward(m: YoloModel, x: tf.Tensor4D) {
  return tf.tidy(() => {
    const xv = tf.variable(x);
    const vars = m.model.trainableWeights.map((w) => w.read() as tf.Variable);
    let rawShape: number[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const y = m.forwardTrain(xv as tf.Tensor4D);
      rawShape = y.shape;
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 7))) as tf.Scalar;
    }, [xv, ...vars]);
    const gradsFinite = Object.values(grads).every((g) => tf.all(tf.isFinite(g)).dataSync()[0] === 1);
    const inputGrad = tf.max(tf.abs(grads[xv.name]!)).dataSync()[0]!;
    xv.dispose();
    return { loss: value.dataSync()[0]!, gradsFinite, inputGrad, withGrad: Object.keys(grads).length - 1, vars: vars.length, rawShape };
  });
}

function exercise(m: YoloModel, x: tf.Tensor4D): void {
  const first = forwardBackward(m, x);
  expect(Number.isFinite(first.loss)).toBe(true);
  expect(first.gradsFinite).toBe(true);
  expect(first.inputGrad).toBeGreaterThan(0);
  // Every weight gets a gradient, except ACmix's conv_p bias, which cancels in its softmax.
  const convPBiases = m.model.trainableWeights.filter((w) => w.originalName.endsWith('/conv_p.bias')).length;
  expect(first.withGrad).toBe(first.vars - convPBiases);
  const out = m.predict(x);
  expect(out.shape[0]).toBe(x.shape[0]);
  if (m.detect) {
    const anchors = m.levelShapes(x.shape[1], x.shape[2]).reduce((a, [h, w]) => a + h * w, 0);
    expect(out.shape).toEqual([x.shape[0], anchors, 4 + m.nc!]);
    expect(first.rawShape).toEqual([x.shape[0], anchors, 4 * m.regMax + m.nc!]);
  }
  expect(tf.tidy(() => tf.all(tf.isFinite(out)).dataSync()[0])).toBe(1);
  tf.dispose(out);
}

describe('model zoo: every module and every yaml runs forward and backward', () => {
  beforeAll(async () => { await initBackend(); });

  it.each(moduleNames())('module %s', async (name) => {
    const before = tf.memory().numTensors;
    const { example } = lookupModule(name)!;
    const m = buildModel({ ch: example.ch, nc: example.nc, backbone: example.layers, head: [] });
    expect(m.plan.layers.some((l) => l.module === name)).toBe(true);
    const x = tf.randomUniform([2, 16, 16, example.ch], 0, 1, 'float32', 3) as tf.Tensor4D;
    exercise(m, x);
    expect(await countLeakedTensors(() => { forwardBackward(m, x); })).toBe(0);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(yamls.flatMap((file) => SCALES.map((scale) => [file, scale])))('%s at scale %s', (file, scale) => {
    const before = tf.memory().numTensors;
    const m = buildModel(path.join(models, file), { scale });
    for (const [batch, height, width] of INPUTS) {
      const x = tf.randomUniform([batch, height, width, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      exercise(m, x);
      x.dispose();
    }
    m.dispose();
    // Everything the passes made, and the model's weights, are gone: nothing leaked.
    expect(tf.memory().numTensors).toBe(before);
  });
});
