import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { saveModel } from '../weights.js';
import { openModel } from './open-model.js';

const tiny = fileURLToPath(new URL('../../fixtures/torch/yolov8-tiny/', import.meta.url));
const yaml = path.join(tiny, 'model.yaml');
const weights = path.join(tiny, 'weights.safetensors');

beforeAll(async () => {
  await initBackend();
});

describe('openModel', () => {
  it('loads a yaml with a state_dict, and a saved directory with the same weights', async () => {
    const a = await openModel({ model: yaml, weights });
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'open-model-')), 'saved');
    await saveModel(a, dir);
    const b = await openModel({ model: dir });
    const c = await openModel({ model: yaml, weights: dir }); // weights = saved dir wins over the yaml
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const [ya, yb, yc] = [a, b, c].map((m) => m.predict(x));
    expect(tf.max(tf.abs(tf.sub(ya!, yb!))).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(tf.sub(ya!, yc!))).dataSync()[0]).toBe(0);
    tf.dispose([x, ya!, yb!, yc!]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('asks for --weights with a bare yaml', async () => {
    await expect(openModel({ model: yaml })).rejects.toThrow(/--weights: required with a yaml model/);
  });
});
