// BatchNorm2d semantics by hand: batch statistics in training (biased variance), running statistics
// updated with PyTorch's momentum convention and the unbiased variance, running statistics in eval.
// Native TensorFlow runs its fused op (native-ops.ts), the cpu backend the composed closed form: both are checked.
// With activation 'silu' (Conv's bn → act) native TensorFlow runs the fused BatchNorm → SiLU kernel instead.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, nativeBackendAvailable, type BackendName } from '@acmix-lab/runtime';
import { silu } from './silu.js';
import { collectRunningStats, TorchBatchNorm } from './torch-batchnorm.js';

const backends: BackendName[] = nativeBackendAvailable() ? ['tensorflow', 'cpu'] : ['cpu'];

describe.each(backends)('TorchBatchNorm on %s', (backend) => {
  beforeAll(async () => { await initBackend(backend); });

  it('normalises with batch statistics and updates running stats like torch (momentum 0.03, unbiased var)', () => {
    const bn = new TorchBatchNorm({ name: 'bn' });
    const x = tf.tensor4d([1, 2, 3, 4], [2, 1, 2, 1]); // mean 2.5, biased var 1.25, unbiased 5/3
    const y = bn.apply(x, { training: true }) as tf.Tensor;
    const sd = 1 / Math.sqrt(1.25 + 1e-3);
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo((i + 1 - 2.5) * sd, 6));
    const [, , mean, runningVar] = bn.torchBindings().map((b) => b.variable.read().dataSync()[0]!);
    expect(bn.torchBindings().map((b) => b.key)).toEqual(['weight', 'bias', 'running_mean', 'running_var']);
    expect(mean).toBeCloseTo(0.03 * 2.5, 7);
    expect(runningVar).toBeCloseTo(0.97 + 0.03 * (5 / 3), 7);
    // Eval mode uses the running statistics.
    const e = bn.apply(tf.tensor4d([1], [1, 1, 1, 1]), { training: false }) as tf.Tensor;
    expect(e.dataSync()[0]).toBeCloseTo((1 - 0.075) / Math.sqrt(runningVar + 1e-3), 6);
    tf.dispose([x, y, e]);
  });

  it('its closed-form gradient equals autodiff of the definition', () => {
    const bn = new TorchBatchNorm({ name: 'bn2' });
    const x = tf.randomNormal([3, 4, 5, 2], 1, 2, 'float32', 4);
    bn.build(x.shape);
    const r = tf.randomNormal([3, 4, 5, 2], 0, 1, 'float32', 5);
    tf.tidy(() => { bn.torchBindings()[0]!.variable.write(tf.tensor1d([0.5, 2])); });
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(f(t), r));
    const before = tf.memory().numTensors;
    const ours = tf.grad(loss((t) => bn.apply(t, { training: true }) as tf.Tensor))(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    const reference = tf.grad(loss((t) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-3))), tf.tensor1d([0.5, 2])), 0);
    }))(x);
    expect(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, r, ours, reference]);
  });

  it("with activation 'silu' equals BatchNorm then silu: loss, gradients, running stats, eval; getConfig keeps it", () => {
    const shape = [2, 3, 5, 17];
    const layers = [new TorchBatchNorm({ name: 'bnSilu', activation: 'silu' }), new TorchBatchNorm({ name: 'bnThenSilu' })];
    layers.forEach((bn) => bn.build(shape));
    const before = tf.memory().numTensors;
    const results = layers.map((bn, i) => tf.tidy(() => {
      bn.torchBindings()[0]!.variable.write(tf.randomUniform([17], 0.5, 1.5, 'float32', 3));
      bn.torchBindings()[1]!.variable.write(tf.randomNormal([17], 0, 1, 'float32', 4));
      const x = tf.variable(tf.randomNormal(shape, 1, 2, 'float32', 5));
      const r = tf.randomNormal(shape, 0, 1, 'float32', 6);
      const forward = (training: boolean) => {
        const y = bn.apply(x, { training }) as tf.Tensor;
        return i === 0 ? y : silu(y);
      };
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(true), r)), [x, ...bn.trainableWeights.map((w) => w.read() as tf.Variable)]);
      const out = [value, ...Object.values(grads), forward(false), ...bn.nonTrainableWeights.map((w) => w.read())].map((t) => t.dataSync());
      x.dispose();
      return out;
    }));
    expect(tf.memory().numTensors).toBe(before);
    results[0]!.forEach((ours, k) => {
      const reference = results[1]![k]!;
      const scale = Math.max(...reference.map(Math.abs));
      expect(Math.max(...ours.map((v, j) => Math.abs(v - reference[j]!))) / scale).toBeLessThan(1e-5);
    });
    const config = layers[0]!.getConfig();
    expect(config.activation).toBe('silu');
    expect(new TorchBatchNorm(config).getConfig()).toEqual(config);
    expect(layers[1]!.getConfig().activation).toBeNull();
  });

  it('collectRunningStats applies every layer\'s update at once, bit for bit as layer by layer', () => {
    // Two momenta, with and without the fused SiLU, an odd channel count.
    const shape = [2, 3, 5, 7];
    const chain = () => [
      new TorchBatchNorm({ activation: 'silu' }), new TorchBatchNorm({ momentum: 0.1 }), new TorchBatchNorm({ activation: 'silu' }),
    ].map((bn) => { bn.build(shape); return bn; });
    const x = tf.randomNormal(shape, 1, 2, 'float32', 7);
    const run = (layers: TorchBatchNorm[], batched: boolean) => {
      const forward = () => layers.reduce((y, bn) => bn.apply(y, { training: true }) as tf.Tensor, x);
      let apply = () => {};
      const { value, grads } = tf.variableGrads(() => {
        if (!batched) return tf.sum(forward());
        const held = collectRunningStats(forward);
        apply = held.apply;
        return tf.sum(held.result);
      }, layers.flatMap((bn) => bn.trainableWeights.map((w) => w.read() as tf.Variable)));
      apply();
      const out = [value, ...Object.values(grads), ...layers.flatMap((bn) => bn.nonTrainableWeights.map((w) => w.read()))].map((t) => [...t.dataSync()]);
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const layerByLayer = chain();
    const batched = chain();
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) expect(run(batched, true)).toEqual(run(layerByLayer, false));
    expect(tf.memory().numTensors).toBe(before);
    // The running statistics moved (the comparison is not between untouched initial values).
    expect(batched[0]!.nonTrainableWeights[0]!.read().dataSync()[0]).not.toBe(0);
    tf.dispose(x);
  });

  it('collectRunningStats frees what it held when the forward throws, and refuses to nest', () => {
    const bn = new TorchBatchNorm({ activation: 'silu' });
    const x = tf.randomNormal([1, 2, 3, 5], 0, 1, 'float32', 8);
    bn.apply(x, { training: true }); // build
    const before = tf.memory().numTensors;
    const stats = () => bn.nonTrainableWeights.map((w) => [...w.read().dataSync()]);
    const initial = stats();
    expect(() => collectRunningStats(() => { tf.dispose(bn.apply(x, { training: true }) as tf.Tensor); throw new Error('boom'); })).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    expect(stats()).toEqual(initial);
    expect(() => collectRunningStats(() => collectRunningStats(() => 0))).toThrow(/already collecting/);
    const held = collectRunningStats(() => 1); // collecting was reset by both failures
    held.apply();
    tf.dispose(x);
  });
});
