// The timm habit: every registered module (its own tiny example) and every yaml under
// experiments/models/ at every scale n–x is built and run forward and backward here, leaking no
// tensors: a square batch of 2 and a non-square single image, the smallest sizes the model's largest
// stride allows. A new module or yaml is covered without writing a new test. Scales s and l once
// died natively inside oneDNN (issue 8, docs/onednn-sigfpe.md): this is the sweep that catches that.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from './model.js';
import { lookupModule, moduleNames } from './registry.js';
import { exerciseModel } from './testing/exercise.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../experiments/models');
const yamls = fs.readdirSync(models).filter((f) => f.endsWith('.yaml')).sort();
const SCALES = ['n', 's', 'm', 'l', 'x'];

describe('model zoo: every module and every yaml runs forward and backward', () => {
  beforeAll(async () => { await initBackend(); });

  it.each(moduleNames())('module %s', async (name) => {
    const before = tf.memory().numTensors;
    const { example } = lookupModule(name)!;
    const m = buildModel({ ch: example.ch, nc: example.nc, backbone: example.layers, head: [] });
    expect(m.plan.layers.some((l) => l.module === name)).toBe(true);
    const x = tf.randomUniform([2, 16, 16, example.ch], 0, 1, 'float32', 3) as tf.Tensor4D;
    await exerciseModel(m, x);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(yamls.flatMap((file) => SCALES.map((scale) => [file, scale])))('%s at scale %s', async (file, scale) => {
    const before = tf.memory().numTensors;
    const m = buildModel(path.join(models, file), { scale });
    // 64×64 at batch 2 and 64×96 at batch 1 for strides up to 32 (64×64 and 64×128 for P6's 64).
    const stride = Math.max(32, ...m.strides);
    const side = Math.max(64, stride);
    for (const [batch, width] of [[2, side], [1, side + stride]] as const) {
      const x = tf.randomUniform([batch, side, width, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      await exerciseModel(m, x);
      x.dispose();
    }
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
