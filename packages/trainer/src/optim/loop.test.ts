// Parity with PyTorch: Ultralytics' optimisation loop (groups, warmup, accumulation, clipping, step,
// EMA) run by tools/fixtures/optim_fixtures.py with torch.optim.SGD / AdamW on a tiny Conv+BN model
// with ACmix-style bare parameters, fed the same random gradients. The optimizers are elementwise and
// the clip uses a global norm, so parameters keep their PyTorch layouts here.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend, relativeError } from '@acmix-lab/runtime';
import { buildOptimizer, type OptimizerSetup } from './build.js';
import { ModelEMA, type EmaState } from './ema.js';
import { paramKind, type TrainableParam } from './groups.js';
import { OptimizerLoop, type BatchOutcome, type OptimizerLoopState } from './loop.js';
import { fixtures, fixtureTensor, type LoopFixture } from './optim-fixtures.js';

const N = fixtures.n_iters;
const STAT_KEYS = fixtures.state_keys.filter((k) => k.includes('running'));

interface Snapshot {
  values: tf.NamedTensorMap;
  loop: OptimizerLoopState;
  ema: EmaState;
}

/** One training process: model variables, optimizer, EMA and loop, optionally restored from a snapshot. */
class Session {
  readonly params: TrainableParam[];
  readonly stats: Record<string, tf.Variable>;
  readonly setup: OptimizerSetup;
  readonly ema: ModelEMA;
  readonly loop: OptimizerLoop;

  constructor(readonly fx: LoopFixture, saved?: Snapshot) {
    const variable = (k: string, trainable: boolean) => {
      const t = saved ? saved.values[k]!.clone() : fixtureTensor(`init/${k}`);
      const v = tf.variable(t, trainable);
      t.dispose(); // the variable holds its own reference to the data
      return v;
    };
    this.params = fixtures.param_order.map((name) => ({
      name, variable: variable(name, true), kind: paramKind(name, name.includes('.bn.')),
    }));
    this.stats = Object.fromEntries(STAT_KEYS.map((k) => [k, variable(k, false)]));
    this.setup = buildOptimizer(this.params, fx.hyp, { nc: 3, images: 200, nb: fx.nb });
    this.ema = new ModelEMA(this.state(), { updates: fx.ema_updates });
    this.loop = new OptimizerLoop({
      optimizer: this.setup.optimizer, schedule: this.setup.schedule,
      ema: { model: this.ema, modelState: () => this.state() },
    });
    if (saved) {
      this.loop.importState(saved.loop);
      this.ema.importState(saved.ema);
    }
  }

  state(): tf.NamedTensorMap {
    const byName: tf.NamedTensorMap = { ...this.stats };
    for (const p of this.params) byName[p.name] = p.variable;
    return Object.fromEntries(fixtures.state_keys.map((k) => [k, byName[k]!]));
  }

  /** Iteration ni as in Ultralytics' loop: zero_grad at an epoch start, new BN statistics, backward, maybe step. */
  iterate(ni: number): BatchOutcome {
    const epoch = Math.floor(ni / this.fx.nb);
    if (ni % this.fx.nb === 0) this.loop.beginEpoch();
    for (const k of STAT_KEYS) tf.tidy(() => this.stats[k]!.assign(fixtureTensor(`stats/${k}`, ni)));
    const grads = Object.fromEntries(this.params.map((p) =>
      [p.variable.name, tf.tidy(() => fixtureTensor(`grad/${p.name}`, ni).mul(fixtures.scales[ni]!))]));
    const outcome = this.loop.batch(ni, epoch, grads);
    tf.dispose(Object.values(grads));
    return outcome;
  }

  snapshot(): Snapshot {
    const values = Object.fromEntries(Object.entries(this.state()).map(([k, t]) => [k, t.clone()]));
    return { values, loop: this.loop.exportState(), ema: this.ema.exportState() };
  }

  dispose(): void {
    this.loop.dispose();
    this.setup.optimizer.dispose();
    this.ema.dispose();
    tf.dispose([...this.params.map((p) => p.variable), ...Object.values(this.stats)]);
  }
}

function disposeSnapshot(s: Snapshot): void {
  tf.dispose([...Object.values(s.values), ...Object.values(s.loop.optimizer), ...Object.values(s.loop.pendingGrads),
    ...Object.values(s.ema.state)]);
}

/** Worst relative error over `keys`, of the values and of their change since the initial state. */
function worst(name: string, ni: number, actual: tf.NamedTensorMap, prefix: string, keys: string[]): [number, number] {
  let value = 0;
  let change = 0;
  for (const k of keys) {
    const [want, got, init] = [fixtureTensor(`${name}/${prefix}/${k}`, ni), actual[k]!, fixtureTensor(`init/${k}`)];
    value = Math.max(value, relativeError(got.dataSync(), want.dataSync()));
    const [dGot, dWant] = tf.tidy(() => [got.sub(init).dataSync(), want.sub(init).dataSync()]);
    change = Math.max(change, relativeError(dGot!, dWant!));
    tf.dispose([want, init]);
  }
  return [value, change];
}

beforeAll(async () => {
  await initBackend();
});

describe.each(Object.entries(fixtures.loops))('loop %s', (name, fx) => {
  it('follows torch: parameters, EMA, lr/momentum, accumulate cadence, clip norms', () => {
    const s = new Session(fx);
    expect(s.setup.optimizer.name).toBe(fx.optimizer);
    expect(s.setup.log).toEqual(fx.lines);
    expect(s.setup.optimizer.groups.map((g) => g.params.map((p) => p.name))).toEqual(fx.groups);
    const worstParam = [0, 0];
    const worstEma = [0, 0];
    for (let ni = 0; ni < N; ni++) {
      const out = s.iterate(ni);
      expect(out.stepped, `stepped at ni=${ni}`).toBe(fx.stepped[ni]);
      expect(out.hyper.accumulate).toBe(fx.accumulate[ni]);
      out.hyper.lr.forEach((lr, j) => expect(lr).toBeCloseTo(fx.lr[ni]![j]!, 15));
      const optimizer = s.setup.optimizer;
      const momentum = optimizer.name === 'SGD' ? optimizer.groups[0]!.momentum : optimizer.groups[0]!.beta1;
      expect(momentum).toBeCloseTo(fx.momentum[ni]!, 15);
      const norm = fx.grad_norm[ni];
      if (norm === null) expect(out.gradNorm).toBeNull();
      else expect(relativeError([out.gradNorm!], [norm])).toBeLessThan(1e-5);
      for (const [acc, errs] of [[worstParam, worst(name, ni, s.state(), 'param', fixtures.param_order)],
        [worstEma, worst(name, ni, s.ema.state, 'ema', fixtures.state_keys)]] as const) {
        acc[0] = Math.max(acc[0]!, errs[0]);
        acc[1] = Math.max(acc[1]!, errs[1]);
      }
    }
    // Values within 1e-5; their change since init (the optimizer's own work, small next to the weights
    // early in warmup) within 1e-4, which float32 rounding of the weights (~3e-8 absolute) allows.
    expect(worstParam[0]).toBeLessThan(1e-5);
    expect(worstEma[0]).toBeLessThan(1e-5);
    expect(worstParam[1]).toBeLessThan(1e-4);
    expect(worstEma[1]).toBeLessThan(1e-4);
    s.dispose();
  });

  it('resumes from exported state mid-accumulation exactly as an uninterrupted run, without leaks', async () => {
    const leaked = await countLeakedTensors(() => {
      const whole = new Session(fx);
      for (let ni = 0; ni < N; ni++) whole.iterate(ni);
      // Cut after an iteration that leaves gradients pending whenever the scenario accumulates.
      const cut = fx.stepped.findIndex((stepped, ni) => ni > 5 && !stepped) + 1 || 7;
      const first = new Session(fx);
      for (let ni = 0; ni < cut; ni++) first.iterate(ni);
      const saved = first.snapshot();
      first.dispose();
      const second = new Session(fx, saved);
      disposeSnapshot(saved);
      for (let ni = cut; ni < N; ni++) second.iterate(ni);
      for (const [k, t] of Object.entries(whole.state())) {
        expect(Array.from(second.state()[k]!.dataSync()), k).toEqual(Array.from(t.dataSync()));
        expect(Array.from(second.ema.state[k]!.dataSync()), `ema ${k}`).toEqual(Array.from(whole.ema.state[k]!.dataSync()));
      }
      expect(second.ema.updates).toBe(whole.ema.updates);
      whole.dispose();
      second.dispose();
    });
    expect(leaked).toBe(0);
  });
});
