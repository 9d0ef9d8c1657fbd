// The closed-form schedule against traces of Ultralytics' stateful loop (LambdaLR stepped per epoch,
// warmup writing np.interp values into torch param_groups) from tools/fixtures/optim_fixtures.py.
import { describe, expect, it } from 'vitest';
import { fixtures } from './optim-fixtures.js';
import {
  accumulateSteps, interp, learningRates, lrLambda, roundHalfEven, warmupIterations, type ScheduleConfig,
} from './schedule.js';

describe.each(Object.entries(fixtures.schedules))('schedule trace %s', (name, fx) => {
  const cfg: ScheduleConfig = {
    hyp: fx.hyp, nb: fx.nb, lr: fx.lr, momentum: fx.momentum, warmupBiasLr: fx.warmup_bias_lr,
  };

  it('has the same warmup length', () => {
    expect(warmupIterations(fx.hyp.warmup_epochs, fx.nb)).toBe(fx.nw);
  });

  it('gives every group lr, the momentum and accumulate of every iteration bit for bit', () => {
    for (const [ni, epoch, lr0, lr1, lr2, momentum, accumulate] of fx.rows as number[][]) {
      const s = learningRates(ni!, epoch!, cfg);
      expect(s.lr, `${name} ni=${ni}`).toEqual([lr0, lr1, lr2]);
      expect(s.accumulate, `${name} ni=${ni}`).toBe(accumulate);
      expect(s.warmup).toBe(ni! <= fx.nw);
      // AdamW groups have no momentum key: the trace holds β1, which the schedule never touches.
      if (fx.optimizer === 'SGD') expect(s.momentum, `${name} ni=${ni}`).toBe(momentum);
      else expect(momentum).toBe(fx.momentum);
    }
  });
});

describe('schedule pieces', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 100.5, 101.5, 2.4999, 2.5001].map(roundHalfEven))
      .toEqual([0, 2, 2, 0, -2, 100, 102, 2, 3]);
  });

  it('interpolates with exact endpoints and clamps outside [0, x1]', () => {
    expect(interp(0, 100, 0.1, 0.01)).toBe(0.1);
    expect(interp(100, 100, 0.1, 0.01)).toBe(0.01);
    expect(interp(-1, 100, 0.1, 0.01)).toBe(0.1);
    expect(interp(150, 100, 0.1, 0.01)).toBe(0.01);
    expect(interp(50, 100, 0, 1)).toBe(0.5);
  });

  it('linear and cosine lambdas run from 1 to lrf', () => {
    const hyp = { epochs: 10, lrf: 0.01, cos_lr: false };
    expect(lrLambda(0, hyp)).toBe(1);
    expect(lrLambda(10, hyp)).toBeCloseTo(0.01, 15);
    expect(lrLambda(5, hyp)).toBeCloseTo(0.505, 15);
    expect(lrLambda(12, hyp)).toBeCloseTo(0.01, 15); // max(…, 0) holds it at lrf past the end
    const cos = { ...hyp, cos_lr: true };
    expect(lrLambda(0, cos)).toBe(1);
    expect(lrLambda(5, cos)).toBeCloseTo(0.505, 15);
    expect(lrLambda(10, cos)).toBeCloseTo(0.01, 15);
  });

  it('accumulates to the nominal batch 64', () => {
    expect([1, 8, 16, 24, 32, 64, 100, 128, 256].map((b) => accumulateSteps(64, b))).toEqual([64, 8, 4, 3, 2, 1, 1, 1, 1]);
  });

  it('warmup lasts at least 100 iterations, none when warmup_epochs is 0', () => {
    expect(warmupIterations(3, 10)).toBe(100);
    expect(warmupIterations(3, 50)).toBe(150);
    expect(warmupIterations(0.5, 301)).toBe(150); // round(150.5) = 150
    expect(warmupIterations(0, 50)).toBe(-1);
  });
});
