// The timm habit: every registered module (its own tiny example) and every yaml under
// experiments/models/ (scale n, 64 px) is built and run forward and backward here, leaking no
// tensors. A new module or yaml is covered without writing a new test.
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

  it.each(yamls)('%s (scale n, 64 px)', async (file) => {
    const before = tf.memory().numTensors;
    const m = buildModel(path.join(models, file), { scale: 'n' });
    const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    await exerciseModel(m, x);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
