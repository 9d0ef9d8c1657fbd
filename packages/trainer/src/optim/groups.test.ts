import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { ParamGroupError } from './errors.js';
import { buildParamGroups, paramKind, type TrainableParam } from './groups.js';
import { fixtures } from './optim-fixtures.js';

beforeAll(async () => {
  await initBackend();
});

describe('paramKind (Ultralytics build_optimizer rule)', () => {
  it('sorts Conv, BatchNorm, Detect and ACmix parameters', () => {
    const cases: [string, boolean, string][] = [
      ['model.0.conv.weight', false, 'weight'],
      ['model.0.bn.weight', true, 'bn'],
      ['model.0.bn.bias', true, 'bias'], // the name test comes first
      ['model.22.cv3.0.2.bias', false, 'bias'],
      ['model.9.rate1', false, 'weight'], // ACmix bare Parameters: decayed like conv weights
      ['model.9.rate2', false, 'weight'],
      ['model.9.conv1.bias', false, 'bias'],
      ['model.9.fc.weight', false, 'weight'],
      ['model.9.dep_conv.weight', false, 'weight'],
    ];
    for (const [name, inNorm, kind] of cases) expect(paramKind(name, inNorm), name).toBe(kind);
  });
});

describe('buildParamGroups', () => {
  const make = (names: string[]): TrainableParam[] => names.map((name) => ({
    name, variable: tf.variable(tf.zeros([2])), kind: paramKind(name, name.includes('.bn.')),
  }));

  it('orders groups as torch param_groups: pg0 biases, pg1 decayed weights, pg2 BN weights', () => {
    const params = make(fixtures.param_order);
    const groups = buildParamGroups(params);
    expect(groups.map((g) => g.params.map((p) => p.name))).toEqual(fixtures.loops['sgd_warmup']!.groups);
    expect(groups.map((g) => [g.kind, g.decay])).toEqual([['bias', false], ['weight', true], ['bn', false]]);
    tf.dispose(params.map((p) => p.variable));
  });

  it('rejects a repeated name, a shared variable and a non-float parameter', () => {
    const [a, b] = make(['model.0.conv.weight', 'model.1.conv.weight']) as [TrainableParam, TrainableParam];
    expect(() => buildParamGroups([a, { ...a }])).toThrow(/"model.0.conv.weight" is listed twice/);
    expect(() => buildParamGroups([a, { ...b, variable: a.variable }])).toThrow(ParamGroupError);
    const int = { name: 'model.2.count', variable: tf.variable(tf.zeros([1], 'int32')), kind: 'weight' as const };
    expect(() => buildParamGroups([int])).toThrow(/int32/);
    tf.dispose([a.variable, b.variable, int.variable]);
  });
});
