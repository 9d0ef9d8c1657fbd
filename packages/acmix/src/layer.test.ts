import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, readSafetensors } from '@acmix-lab/runtime';
import { ACmix } from './layer.js';
import { ACmixConfigError } from './errors.js';
import { acmixFlops, acmixParamCount } from './cost.js';

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

function modelOf(layer: ACmix, channels: number): tf.LayersModel {
  const input = tf.input({ shape: [null, null, channels] });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

describe('ACmix layer', () => {
  beforeAll(async () => { await initBackend(); });

  it('counts parameters like PyTorch: ACmix(64) = 17,822', () => {
    expect(acmixParamCount({ inPlanes: 64, outPlanes: 64, head: 4, kernelConv: 3 })).toBe(17822);
    const layer = new ACmix({ outPlanes: 64 });
    modelOf(layer, 64);
    expect(layer.countParams()).toBe(17822);
    layer.dispose();
  });

  it('matches the parameter count of every PyTorch fixture state_dict', () => {
    for (const name of fs.readdirSync(fixturesDir)) {
      const yaml = fs.readFileSync(path.join(fixturesDir, name, 'model.yaml'), 'utf8');
      const inPlanes = Number(/ch: (\d+)/.exec(yaml)![1]);
      const [outPlanes, , head, kernelConv] = JSON.parse(/ACmix, (\[[^\]]*\])/.exec(yaml)![1]!) as number[];
      const weights = readSafetensors(path.join(fixturesDir, name, 'weights.safetensors'));
      const torchCount = [...weights.values()].reduce((n, t) => n + t.data.length, 0);
      expect(acmixParamCount({ inPlanes, outPlanes: outPlanes!, head, kernelConv }), name).toBe(torchCount);
    }
  });

  it('counts forward FLOPs of the official formulation (0.65 GFLOP for 8×64×40×40)', () => {
    // q,k,v 3·1600·64·64 + conv_p 1600·2·16 + window 2·1600·49·64 + fc 1600·16·12·9 + dep_conv 1600·64·81 MACs
    expect(acmixFlops({ inPlanes: 64, outPlanes: 64, height: 40, width: 40 })).toBe(81_612_800);
    // On a 3×3 map the 7×7 window shrinks to 5×5 (reach 2 = size − 1), stride 2 → 2×2 outputs.
    expect(acmixFlops({ inPlanes: 8, outPlanes: 8, height: 3, width: 3, head: 4, stride: 2 }))
      .toBe(2 * (3 * 9 * 64 + 9 * 2 * 2 + 2 * 4 * 25 * 8 + 9 * 2 * 12 * 9 + 4 * 8 * 81));
  });

  it('rejects outPlanes not divisible by head, naming the layer and numbers', () => {
    expect(() => new ACmix({ outPlanes: 30, head: 4, name: 'neck_acmix' })).toThrow(ACmixConfigError);
    expect(() => new ACmix({ outPlanes: 30, head: 4, name: 'neck_acmix' }))
      .toThrow('ACmix layer "neck_acmix": outPlanes 30 is not divisible by head 4');
    expect(() => new ACmix({ outPlanes: 32, kernelAtt: 6, name: 'a' })).toThrow('kernelAtt must be odd, got 6');
  });

  it('initialises like the official module: rates 0.5, one-hot shift dep_conv, U(±1/√fan_in) convs', () => {
    const layer = new ACmix({ outPlanes: 16, head: 4 });
    modelOf(layer, 32);
    const b = Object.fromEntries(layer.torchBindings().map((x) => [x.key, x]));
    const torch = (key: string) => tf.tidy(() => b[key]!.toTorch(b[key]!.variable.read()).arraySync());
    expect(torch('rate1')).toEqual([0.5]);
    expect(torch('rate2')).toEqual([0.5]);
    const dep = torch('dep_conv.weight') as number[][][][];
    expect(dep.length).toBe(16);
    for (const o of dep) o.forEach((k, i) => k.forEach((row, y) => row.forEach((v, x) => expect(v).toBe(y * 3 + x === i ? 1 : 0))));
    const w1 = tf.tidy(() => b['conv1.weight']!.variable.read().abs().max().dataSync()[0]!);
    expect(w1).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expect(w1).toBeGreaterThan(0.8 / Math.sqrt(32));
    const fc = tf.tidy(() => b['fc.weight']!.variable.read().abs().max().dataSync()[0]!);
    expect(fc).toBeLessThanOrEqual(1 / Math.sqrt(12));
    layer.dispose();
  });

  it('computes output shapes with ceil on odd sizes', () => {
    const layer = new ACmix({ outPlanes: 8, head: 2, stride: 2 });
    expect(layer.computeOutputShape([2, 9, 7, 4])).toEqual([2, 5, 4, 8]);
    expect(layer.computeOutputShape([null, null, null, 4])).toEqual([null, null, null, 8]);
    const y = tf.tidy(() => (layer.apply(tf.randomNormal([2, 9, 7, 4])) as tf.Tensor).shape);
    expect(y).toEqual([2, 5, 4, 8]);
  });

  it('round-trips through getConfig/fromConfig and model save/load with identical outputs', async () => {
    const layer = new ACmix({ outPlanes: 12, kernelAtt: 5, head: 3, kernelConv: 3, stride: 2, dilation: 1, name: 'mix' });
    const model = modelOf(layer, 6);
    const config = layer.getConfig();
    expect(config).toMatchObject({ outPlanes: 12, kernelAtt: 5, head: 3, kernelConv: 3, stride: 2, dilation: 1, name: 'mix' });
    const clone = ACmix.fromConfig(ACmix, config) as ACmix;
    expect(clone.getConfig()).toEqual(config);

    const x = tf.randomNormal([2, 10, 9, 6]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acmix-save-'));
    await model.save(`file://${dir}`);
    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(loaded.layers[1]).toBeInstanceOf(ACmix);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
    fs.rmSync(dir, { recursive: true });
  });
});
