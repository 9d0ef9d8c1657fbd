// Hand-computed steps of torch's SGD (nesterov, coupled decay) and AdamW (decoupled decay), state
// export/import checks, gradient clipping. The PyTorch trajectories themselves are in loop.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { clipGradNorm } from './accumulate.js';
import { AdamW } from './adamw.js';
import { flatGrads } from './flat-state.js';
import { buildParamGroups, type TrainableParam } from './groups.js';
import { SGD } from './sgd.js';
import { OptimStateError } from './errors.js';

beforeAll(async () => {
  await initBackend();
});

/** One decayed weight `w` and one bias `b`, both starting at 1. */
function twoParams(): TrainableParam[] {
  return [
    { name: 'w', variable: tf.tidy(() => tf.variable(tf.tensor1d([1]))), kind: 'weight' },
    { name: 'b', variable: tf.tidy(() => tf.variable(tf.tensor1d([1]))), kind: 'bias' },
  ];
}

const value = (p: TrainableParam) => p.variable.dataSync()[0]!;

/** optimizer.step on gradients keyed by tf.Variable name, laid flat per group as the accumulator does. */
function step(optimizer: SGD | AdamW, g: tf.NamedTensorMap): void {
  const flat = optimizer.groups.map((group) => flatGrads(group.params, g, optimizer.name));
  optimizer.step(flat);
  for (const f of flat) f?.flat.dispose();
}
const grads = (params: TrainableParam[], g: number) =>
  Object.fromEntries(params.map((p) => [p.variable.name, tf.tensor1d([g])]));

describe('SGD', () => {
  it('matches torch nesterov with coupled decay on the decay group only', async () => {
    expect(await countLeakedTensors(() => {
      const params = twoParams();
      const sgd = new SGD(buildParamGroups(params), { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
      const g = grads(params, 0.5);
      step(sgd, g);
      // w: d = 0.5 + 0.1·1 = 0.6, buf = 0.6, update = 0.6 + 0.9·0.6 = 1.14 → 1 − 0.114
      expect(value(params[0]!)).toBeCloseTo(0.886, 6);
      // b: no decay: d = 0.5, update = 0.95
      expect(value(params[1]!)).toBeCloseTo(0.905, 6);
      sgd.groups[1]!.lr = 0.2; // per-group lr (warmup sets these every iteration)
      step(sgd, g);
      // w: d = 0.5 + 0.0886 = 0.5886, buf = 0.54 + 0.5886 = 1.1286, update = 0.5886 + 1.01574 = 1.60434
      expect(value(params[0]!)).toBeCloseTo(0.886 - 0.2 * 1.60434, 6);
      // b (lr 0.1): buf = 0.45 + 0.5 = 0.95, update = 0.5 + 0.855 = 1.355
      expect(value(params[1]!)).toBeCloseTo(0.905 - 0.1355, 6);
      tf.dispose(Object.values(g));
      sgd.dispose();
      tf.dispose(params.map((p) => p.variable));
    })).toBe(0);
  });

  it('skips a parameter without a gradient and exports buffers only for stepped ones', () => {
    const params = twoParams();
    const sgd = new SGD(buildParamGroups(params), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const g = { [params[0]!.variable.name]: tf.tensor1d([1]) };
    step(sgd, g);
    expect(value(params[1]!)).toBe(1);
    const state = sgd.exportState();
    expect(Object.keys(state)).toEqual(['w.momentum_buffer']);
    tf.dispose([...Object.values(g), ...Object.values(state)]);
    sgd.dispose();
    tf.dispose(params.map((p) => p.variable));
  });

  it('refuses gradients of other parameters than its momentum covers (its state is flat over them)', () => {
    const params = [...twoParams(), { name: 'w2', variable: tf.variable(tf.tensor1d([1])), kind: 'weight' as const }];
    const sgd = new SGD(buildParamGroups(params), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const both = grads(params, 1);
    step(sgd, both);
    const one = { [params[0]!.variable.name]: both[params[0]!.variable.name]! };
    expect(() => step(sgd, one)).toThrow(/SGD: the parameters with a gradient \(1: "w"\) are not the 2 its state covers \("w", "w2"\)/);
    tf.dispose(Object.values(both));
    sgd.dispose();
    tf.dispose(params.map((p) => p.variable));
  });

  it('refuses state of another shape or another model, keeping its own', () => {
    const params = twoParams();
    const sgd = new SGD(buildParamGroups(params), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const bad = { 'w.momentum_buffer': tf.zeros([2]) };
    expect(() => sgd.importState(bad)).toThrow(/"w.momentum_buffer" is float32 \[2\] but the parameter needs float32 \[1\]/);
    const alien = { 'model.7.conv.weight.momentum_buffer': tf.zeros([1]) };
    expect(() => sgd.importState(alien)).toThrow(OptimStateError);
    tf.dispose([...Object.values(bad), ...Object.values(alien)]);
    sgd.dispose();
    tf.dispose(params.map((p) => p.variable));
  });
});

describe('AdamW', () => {
  it('matches torch: decoupled decay, bias-corrected moments, per-parameter step', async () => {
    expect(await countLeakedTensors(() => {
      const params = twoParams();
      const adam = new AdamW(buildParamGroups(params), { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
      const g = grads(params, 0.5);
      step(adam, g);
      // w: p = 1·(1 − 0.01) = 0.99; m̂ = 0.5, v̂ = 0.25 → p − 0.1·0.5/(0.5 + 1e-8)
      expect(value(params[0]!)).toBeCloseTo(0.89, 6);
      expect(value(params[1]!)).toBeCloseTo(0.9, 6);
      step(adam, g);
      // Constant gradient: m̂ = 0.5, v̂ = 0.25 again, so each step moves by lr (after decay for w).
      expect(value(params[0]!)).toBeCloseTo(0.89 * 0.99 - 0.1, 6);
      expect(value(params[1]!)).toBeCloseTo(0.8, 6);
      const state = adam.exportState();
      expect(state['w.step']!.dataSync()[0]).toBe(2);
      expect(state['w.exp_avg']!.dataSync()[0]).toBeCloseTo(0.5 * 0.1 * 0.9 + 0.5 * 0.1, 7);
      tf.dispose([...Object.values(g), ...Object.values(state)]);
      adam.dispose();
      tf.dispose(params.map((p) => p.variable));
    })).toBe(0);
  });

  it('round-trips its state and rejects a partial one', () => {
    const params = twoParams();
    const make = () => new AdamW(buildParamGroups(params), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const a = make();
    const g = grads(params, 0.3);
    step(a, g);
    const state = a.exportState();
    const b = make();
    b.importState(state);
    const again = b.exportState();
    for (const [k, t] of Object.entries(state)) expect(Array.from(again[k]!.dataSync()), k).toEqual(Array.from(t.dataSync()));
    const w2 = { name: 'w2', variable: tf.variable(tf.tensor1d([1])), kind: 'weight' as const };
    const wider = new AdamW(buildParamGroups([...params, w2]), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const uneven = { ...state, 'w2.exp_avg': state['w.exp_avg']!, 'w2.exp_avg_sq': state['w.exp_avg_sq']!, 'w2.step': tf.scalar(5, 'int32') };
    expect(() => wider.importState(uneven)).toThrow("AdamW: the weight group's parameters have different step counts (1, 5); a group is stepped as a whole");
    tf.dispose([uneven['w2.step'], w2.variable]);
    wider.dispose();
    const partial = { 'w.exp_avg': state['w.exp_avg']! };
    expect(() => b.importState(partial)).toThrow(/state of "w" needs all of .exp_avg, .exp_avg_sq, .step or none/);
    tf.dispose([...Object.values(g), ...Object.values(state), ...Object.values(again)]);
    a.dispose();
    b.dispose();
    tf.dispose(params.map((p) => p.variable));
  });
});

describe('clipGradNorm', () => {
  it('scales by max_norm/(total + 1e-6) over every group, only when the global norm exceeds max_norm', () => {
    const [w, b] = twoParams();
    const g = [{ params: [w!], flat: tf.tensor1d([3, 0]) }, undefined, { params: [b!], flat: tf.tensor1d([0, 4]) }];
    const kept = clipGradNorm(g, 10);
    expect(kept.totalNorm).toBeCloseTo(5, 6);
    expect(kept.grads[1]).toBeUndefined();
    expect(kept.grads[2]!.params).toEqual([b]);
    expect(Array.from(kept.grads[0]!.flat.dataSync())).toEqual([3, 0]);
    const cut = clipGradNorm(g, 1);
    expect(cut.grads[2]!.flat.dataSync()[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    expect(clipGradNorm([undefined], 1)).toEqual({ grads: [undefined], totalNorm: 0 });
    tf.dispose([w!.variable, b!.variable, ...[g, kept.grads, cut.grads].flatMap((gs) => gs.flatMap((x) => x ? [x.flat] : []))]);
  });
});
