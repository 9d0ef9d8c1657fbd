// Weight import/export (Ultralytics state_dict keys) and the TensorFlow.js save format.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, readSafetensors } from '@acmix-lab/runtime';
import { StateDictError } from './errors.js';
import { buildModel } from './model.js';
import { exportStateDict, importStateDict, loadModel, saveModel } from './weights.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tinyDir = path.resolve(here, '../fixtures/torch/yolov8-tiny');
const models = path.resolve(here, '../../../experiments/models');
const neck = path.join(models, 'yolov8-acmix-neck.yaml');
// `key [shape]` of each family's state_dict at scale n, from the PyTorch port of Ultralytics' modules
// (tools/fixtures/yolo_torch.py::write_sizes), num_batches_tracked left out.
const stateDicts = JSON.parse(fs.readFileSync(path.resolve(here, '../fixtures/torch/state-dicts.json'), 'utf8')) as Record<string, string[]>;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'weights-'));

describe('weights', () => {
  beforeAll(async () => { await initBackend(); });

  it.each(Object.keys(stateDicts))('%s (scale n): the state_dict keys and shapes Ultralytics writes, imported back', async (file) => {
    const m = buildModel(path.join(models, file), { scale: 'n' });
    const sd = await exportStateDict(m);
    expect([...sd].map(([k, t]) => `${k} [${t.shape.join(', ')}]`).sort()).toEqual([...stateDicts[file]!].sort());
    importStateDict(m, sd, file);
    m.dispose();
  });

  it('uses Ultralytics state_dict keys, buffers included, and round-trips them', async () => {
    const sd = readSafetensors(path.join(tinyDir, 'weights.safetensors'));
    const m = buildModel(path.join(tinyDir, 'model.yaml'));
    importStateDict(m, sd, 'tiny');
    const back = await exportStateDict(m);
    // Everything PyTorch saved except the num_batches_tracked counters, bit for bit.
    expect([...back.keys()].sort()).toEqual([...sd.keys()].filter((k) => !k.endsWith('num_batches_tracked')).sort());
    for (const [k, t] of back) expect(Array.from(t.data as Float32Array), k).toEqual(Array.from(sd.get(k)!.data as Float32Array));
    expect(back.get('model.22.dfl.conv.weight')!.data).toEqual(Float32Array.from({ length: 16 }, (_, i) => i));
    expect(m.torchBindings().find((b) => b.key === 'model.0.bn.running_var')!.isParameter).toBe(false);
    m.dispose();
  });

  it('names every unknown key, missing key and shape mismatch in one error', () => {
    const sd = readSafetensors(path.join(tinyDir, 'weights.safetensors'));
    sd.set('model.99.conv.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    sd.delete('model.0.bn.running_mean');
    sd.set('model.1.conv.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) });
    const m = buildModel(path.join(tinyDir, 'model.yaml'));
    const before = tf.tidy(() => m.model.weights[0]!.read().dataSync().slice());
    let error: unknown;
    try {
      importStateDict(m, sd, 'bad.safetensors');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const e = error as StateDictError;
    expect(e.unknownKeys).toEqual(['model.99.conv.weight']);
    expect(e.missingKeys).toEqual(['model.0.bn.running_mean']);
    expect(e.shapeMismatches).toEqual([{ key: 'model.1.conv.weight', expected: [8, 8, 3, 3], got: [2, 2] }]);
    expect(e.message).toMatch(/^bad\.safetensors: state_dict does not fit the model; unknown keys: model\.99\.conv\.weight; missing keys: model\.0\.bn\.running_mean; shape mismatches: model\.1\.conv\.weight \[2,2\] \(model has \[8,8,3,3\]\)$/);
    // Nothing was written.
    expect(tf.tidy(() => m.model.weights[0]!.read().dataSync().slice())).toEqual(before);
    m.dispose();
  });

  it('saves atomically in the TensorFlow.js format with its yaml and reloads identical outputs', async () => {
    const m = buildModel(neck, { scale: 'n', nc: 5 });
    // Non-trivial BatchNorm statistics, so that a lost buffer would show.
    tf.tidy(() => m.torchBindings().filter((b) => b.key.endsWith('running_var'))
      .forEach((b) => b.variable.write(tf.randomUniform(b.variable.shape as number[], 0.5, 1.5))));
    const dir = path.join(tmp(), 'run', 'weights');
    await saveModel(m, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['build.json', 'model.json', 'model.yaml', 'weights.bin']);
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['weights']); // no temporary directory left behind
    await saveModel(m, dir); // overwriting an existing save works too
    const back = await loadModel(dir);
    expect([back.scale, back.nc, back.strides]).toEqual(['n', 5, [8, 16, 32]]);
    const x = tf.randomUniform([1, 64, 96, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const [a, b] = [m.predict(x), back.predict(x)];
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    // model.json alone is a loadable tfjs model (the custom layers are registered).
    const plain = await tf.loadLayersModel(`file://${path.join(dir, 'model.json')}`);
    const c = plain.predict(x) as tf.Tensor[];
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, c[0]!))).dataSync()[0])).toBe(0);
    tf.dispose([x, a, b, ...c]);
    plain.dispose();
    back.dispose();
    m.dispose();
  });
});
