import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from './model.js';
import { modelYamlFromObject } from './model-yaml.js';

const spec = modelYamlFromObject({
  nc: 2,
  backbone: [[-1, 1, 'Conv', [8, 3, 2]], [-1, 1, 'ACmix', []]],
  head: [],
});

function firstWeights(seed?: number): Float32Array[] {
  const m = buildModel(spec, { seed });
  const values = m.torchBindings().map((b) => b.variable.read().dataSync() as Float32Array);
  m.dispose();
  return values;
}

describe('seeded initialisation', () => {
  beforeAll(async () => { await initBackend(); });

  it('builds identical weights for the same seed and different ones for another', () => {
    const a = firstWeights(7);
    const b = firstWeights(7);
    const c = firstWeights(8);
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));
    expect(Array.from(c[0]!)).not.toEqual(Array.from(a[0]!));
  });

  it('restores Math.random afterwards and leaks nothing', () => {
    const before = Math.random;
    const tensors = tf.memory().numTensors;
    firstWeights(1);
    expect(Math.random).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
