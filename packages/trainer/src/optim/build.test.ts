// Optimizer construction against the port of Ultralytics' build_optimizer / _setup_train in
// tools/fixtures/optim_fixtures.py: the 'auto' rule, decay scaling, iteration count and log lines.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import {
  buildOptimizer, pyFloat, resolveOptimizer, scaledWeightDecay, trainIterations, type OptimHyp,
} from './build.js';
import { OptimizerConfigError } from './errors.js';
import { paramKind, type TrainableParam } from './groups.js';
import { fixtures } from './optim-fixtures.js';

beforeAll(async () => {
  await initBackend();
});

function tinyParams(): TrainableParam[] {
  return fixtures.param_order.map((name) => ({
    name, variable: tf.variable(tf.zeros([1])), kind: paramKind(name, name.includes('.bn.')),
  }));
}

describe.each(Object.entries(fixtures.schedules))('build_optimizer for %s', (_name, fx) => {
  it('chooses the optimizer, lr, momentum, decay and logs as Ultralytics', () => {
    const params = tinyParams();
    expect(trainIterations(fx.n_images, fx.hyp)).toBe(fx.iterations);
    expect(scaledWeightDecay(fx.hyp)).toBe(fx.weight_decay);
    const setup = buildOptimizer(params, fx.hyp, { nc: fx.nc, images: fx.n_images, nb: fx.nb });
    expect(setup.optimizer.name).toBe(fx.optimizer);
    expect(setup.schedule.lr).toBe(fx.lr);
    expect(setup.schedule.momentum).toBe(fx.momentum);
    expect(setup.schedule.warmupBiasLr).toBe(fx.warmup_bias_lr);
    expect(setup.weightDecay).toBe(fx.weight_decay);
    expect(setup.log).toEqual(fx.lines);
    const g = setup.optimizer.groups;
    expect(g.map((x) => x.lr)).toEqual([fx.lr, fx.lr, fx.lr]);
    expect(g.map((x) => x.weightDecay)).toEqual([0, fx.weight_decay, 0]);
    setup.optimizer.dispose();
    tf.dispose(params.map((p) => p.variable));
  });
});

describe('optimizer selection', () => {
  const hyp: OptimHyp = {
    optimizer: 'auto', lr0: 0.01, lrf: 0.01, momentum: 0.937, weight_decay: 0.0005, warmup_epochs: 3,
    warmup_momentum: 0.8, warmup_bias_lr: 0.1, nbs: 64, cos_lr: false, epochs: 100, batch: 16,
  };

  it("auto: AdamW at lr round(0.002·5/(4+nc), 6) up to 10,000 iterations, then SGD 0.01", () => {
    expect(resolveOptimizer(hyp, 3, 10000)).toMatchObject({ name: 'AdamW', lr: 0.001429, momentum: 0.9, warmupBiasLr: 0 });
    expect(resolveOptimizer(hyp, 80, 10000)).toMatchObject({ name: 'AdamW', lr: 0.000119 });
    expect(resolveOptimizer(hyp, 80, 10001)).toMatchObject({ name: 'SGD', lr: 0.01, momentum: 0.9, warmupBiasLr: 0 });
  });

  it('takes lr0 and momentum as given for explicit names, case-insensitively', () => {
    expect(resolveOptimizer({ ...hyp, optimizer: 'sgd' }, 3, 5)).toEqual(
      { name: 'SGD', lr: 0.01, momentum: 0.937, warmupBiasLr: 0.1, notice: null });
    expect(resolveOptimizer({ ...hyp, optimizer: 'ADAMW', lr0: 0.002 }, 3, 5)).toMatchObject({ name: 'AdamW', lr: 0.002 });
  });

  it('rejects optimizers that are not ported, naming the supported ones', () => {
    expect(() => resolveOptimizer({ ...hyp, optimizer: 'RMSProp' }, 3, 5)).toThrow(OptimizerConfigError);
    expect(() => resolveOptimizer({ ...hyp, optimizer: 'Adam' }, 3, 5)).toThrow(/"Adam" is not supported \(use SGD, AdamW or auto/);
  });

  it('formats floats like Python repr', () => {
    expect([0.01, 0.0, 1, 0.001429, 0.0005, 5.625e-4, 7.14e-5, 1e-5, 1.5e16, 0.1 + 0.2].map(pyFloat))
      .toEqual(['0.01', '0.0', '1.0', '0.001429', '0.0005', '0.0005625', '7.14e-05', '1e-05', '1.5e+16', '0.30000000000000004']);
  });
});
