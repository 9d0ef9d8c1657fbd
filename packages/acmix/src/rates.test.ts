// The `rates` ablation (ACMIX_RATES): frozen rates are parameters without gradients, the outputs
// are the two paths mixed by the fixed rates on both implementations, and the mode survives
// getConfig/fromConfig and save/load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { acmixParamCount } from './cost.js';
import { ACmix, ACMIX_RATES, type ACmixRates } from './layer.js';
import { fusedAttentionUnavailable } from './native-op.js';

await initBackend();

const CIN = 6;
const SHAPE: [number, number, number, number] = [2, 9, 11, CIN];

function built(rates: ACmixRates): ACmix {
  const layer = new ACmix({ outPlanes: 8, head: 2, kernelAtt: 5, rates });
  layer.build(SHAPE);
  return layer;
}

/** Layer.dispose() needs a symbolic call; these layers are only built. */
const release = (layer: ACmix) => layer.weights.forEach((w) => w.dispose());

const valueOf = (layer: ACmix, key: string) => tf.tidy(() =>
  layer.torchBindings().find((b) => b.key === key)!.variable.read().dataSync()[0]!);

/** Copies every weight but the rates from `from` (random values, so both paths matter). */
function sameWeights(from: ACmix, to: ACmix): void {
  const target = new Map(to.torchBindings().map((b) => [b.key, b.variable]));
  for (const b of from.torchBindings()) if (!b.key.startsWith('rate')) target.get(b.key)!.write(b.variable.read());
}

describe('ACmix rates', () => {
  beforeAll(() => { delete process.env.ACMIX_LAB_FUSED; });

  it.each(ACMIX_RATES)('%s: frozen rates are counted as parameters, not as trainable weights', (rates) => {
    const layer = built(rates);
    const total = acmixParamCount({ inPlanes: CIN, outPlanes: 8, head: 2 });
    const trainable = layer.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    expect(layer.countParams()).toBe(total);
    expect(layer.torchBindings().every((b) => b.isParameter)).toBe(true);
    expect(trainable).toBe(rates === 'learned' ? total : total - 2);
    expect(layer.nonTrainableWeights.map((w) => w.originalName.split('/').at(-1))).toEqual(rates === 'learned' ? [] : ['rate1', 'rate2']);
    const init = { learned: [0.5, 0.5], conv: [0, 1], attention: [1, 0], fixed: [0.5, 0.5] }[rates];
    expect([valueOf(layer, 'rate1'), valueOf(layer, 'rate2')]).toEqual(init);
    release(layer);
  });

  it('a frozen rate gets no gradient and does not move in training; learned rates do', () => {
    for (const rates of ACMIX_RATES) {
      const layer = built(rates);
      const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 1);
      const loss = () => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar;
      // Without a variable list tf.variableGrads differentiates every trainable variable alive.
      const { value, grads } = tf.variableGrads(loss);
      const rateVars = layer.weights.filter((w) => /rate[12]$/.test(w.originalName)).map((w) => (w.read() as tf.Variable).name);
      expect(rateVars.map((n) => n in grads), rates).toEqual(rates === 'learned' ? [true, true] : [false, false]);
      expect((layer.weights[0]!.read() as tf.Variable).name in grads).toBe(true); // conv1.weight
      tf.dispose([value, grads]);
      const before = [valueOf(layer, 'rate1'), valueOf(layer, 'rate2')];
      const sgd = tf.train.sgd(0.05);
      for (let step = 0; step < 3; step++) sgd.minimize(loss);
      const after = [valueOf(layer, 'rate1'), valueOf(layer, 'rate2')];
      if (rates === 'learned') expect(after[0]).not.toBe(before[0]);
      else expect(after, rates).toEqual(before);
      sgd.dispose();
      x.dispose();
      release(layer);
    }
  });

  it('keeps the mode and the frozen values through getConfig/fromConfig and save/load', async () => {
    const layer = new ACmix({ outPlanes: 8, head: 2, rates: 'attention', name: 'mix' });
    const input = tf.input({ shape: [null, null, CIN] });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const config = layer.getConfig();
    expect(config.rates).toBe('attention');
    expect((ACmix.fromConfig(ACmix, config) as ACmix).rates).toBe('attention');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acmix-rates-'));
    await model.save(`file://${dir}`);
    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    const again = loaded.layers[1] as ACmix;
    expect(again.rates).toBe('attention');
    expect(again.nonTrainableWeights.map((w) => w.originalName)).toEqual(['mix/rate1', 'mix/rate2']);
    expect([valueOf(again, 'rate1'), valueOf(again, 'rate2')]).toEqual([1, 0]);
    model.dispose();
    loaded.dispose();
    fs.rmSync(dir, { recursive: true });
  });

  it('rejects an unknown mode', () => {
    expect(() => new ACmix({ outPlanes: 8, rates: 'both' as ACmixRates, name: 'a' }))
      .toThrow('ACmix layer "a": rates must be one of learned, conv, attention, fixed, got both');
  });
});

const fusedUnavailable = fusedAttentionUnavailable();

describe.each([
  { impl: 'composed', fused: '0', skip: null },
  { impl: 'fused', fused: '1', skip: fusedUnavailable },
])('ACmix rates on the $impl implementation', ({ fused, skip }) => {
  beforeAll(() => { process.env.ACMIX_LAB_FUSED = fused; });
  afterAll(() => { delete process.env.ACMIX_LAB_FUSED; });
  if (skip) it.skip(`skipped: ${skip}`, () => {});

  it.skipIf(skip)('conv and attention are the two paths: learned (0.5, 0.5) = their mean; each ignores the other path', () => {
    const learned = built('learned');
    tf.tidy(() => learned.weights.forEach((w) => {
      if (!/rate[12]$/.test(w.originalName)) w.write(tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', 4));
    }));
    const conv = built('conv');
    const attention = built('attention');
    sameWeights(learned, conv);
    sameWeights(learned, attention);
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 2);
    const out = (l: ACmix) => l.apply(x) as tf.Tensor;
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    tf.tidy(() => {
      const [yl, yc, ya] = [out(learned), out(conv), out(attention)];
      expect(maxDiff(yl, tf.mul(tf.add(yc, ya), 0.5))).toBeLessThan(1e-5);
      expect(maxDiff(yc, ya)).toBeGreaterThan(1e-2);
      // conv_p only feeds the attention logits; fc only feeds the conv path.
      const perturb = (l: ACmix, key: string) => {
        const v = l.torchBindings().find((b) => b.key === key)!.variable;
        const old = v.read().clone();
        v.write(tf.add(old, 1));
        const y = out(l);
        v.write(old);
        return y;
      };
      expect(maxDiff(perturb(conv, 'conv_p.weight'), yc)).toBe(0);
      expect(maxDiff(perturb(attention, 'fc.weight'), ya)).toBe(0);
      expect(maxDiff(perturb(learned, 'conv_p.weight'), yl)).toBeGreaterThan(1e-4);
    });
    x.dispose();
    [learned, conv, attention].forEach(release);
  });
});
