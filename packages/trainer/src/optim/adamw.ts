// AdamW with torch.optim.AdamW semantics (torch/optim/adam.py::_single_tensor_adam with
// decoupled_weight_decay, amsgrad off), as Ultralytics builds it: betas (momentum, 0.999), eps 1e-8,
// weight_decay 0 on the bias group and the scaled decay on g[0]. Per parameter, step t counted per
// parameter:
//   p  = p·(1 − lr·wd)                      (decoupled decay, before the moments)
//   m  = lerp(m, g, 1 − β1);  v = β2·v + (1 − β2)·g²
//   p  = p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
// Ultralytics' warmup sets a group's "momentum" only when the key exists, which it does not for Adam
// groups, so β1 stays at its build value during warmup (schedule.ts::applySchedule follows that).
// Each group is updated as one flat tensor (flat-state.ts); its parameters share one step count, since
// they are stepped together.
import * as tf from '@tensorflow/tfjs';
import type { ParamGroup, ParamKind, TrainableParam } from './groups.js';
import { OptimStateError } from './errors.js';
import { assignFlat, exportFlat, flatValues, importFlat, requireSameParams, type FlatTensors } from './flat-state.js';
import { hasStateTensor, rejectUnknownKeys, stateCount } from './state.js';

export interface AdamWGroup {
  readonly kind: ParamKind;
  readonly params: readonly TrainableParam[];
  lr: number;
  beta1: number;
  beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export interface AdamWOptions {
  lr: number;
  /** β1; Ultralytics passes its `momentum` here. */
  momentum: number;
  /** Applied to groups whose `decay` flag is set (Ultralytics' g[0]); the others get 0. */
  weightDecay: number;
  beta2?: number;
  eps?: number;
}

/** A group's moments, flat over the parameters it has stepped. */
interface Moments {
  step: number;
  expAvg: FlatTensors;
  expAvgSq: FlatTensors;
}

const KEYS = ['.exp_avg', '.exp_avg_sq', '.step'] as const;

/** torch's lerp kernel picks the form by weight, for accuracy near both ends. */
function lerp(from: tf.Tensor, to: tf.Tensor, weight: number): tf.Tensor {
  return weight < 0.5 ? from.add(to.sub(from).mul(weight)) : to.sub(to.sub(from).mul(1 - weight));
}

export class AdamW {
  readonly name = 'AdamW' as const;
  readonly groups: AdamWGroup[];
  private readonly moments: (Moments | undefined)[];

  constructor(groups: readonly ParamGroup[], options: AdamWOptions) {
    this.groups = groups.map((g) => ({
      kind: g.kind, params: g.params, lr: options.lr, beta1: options.momentum, beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8, weightDecay: g.decay ? options.weightDecay : 0,
    }));
    this.moments = this.groups.map(() => undefined);
  }

  /** One optimizer step on each group's flat gradients (flatGrads); a group without gradients is skipped. */
  step(grads: readonly (FlatTensors | undefined)[]): void {
    this.groups.forEach((group, i) => {
      const g = grads[i];
      if (g === undefined) return;
      const old = this.moments[i];
      if (old !== undefined) requireSameParams(old.expAvg, g.params, 'AdamW');
      const { lr, beta1, beta2, eps, weightDecay } = group;
      const step = (old?.step ?? 0) + 1;
      const [expAvg, expAvgSq] = tf.tidy(() => {
        const values = flatValues(g.params);
        const p = weightDecay !== 0 ? values.mul(1 - lr * weightDecay) : values;
        const m = lerp(old?.expAvg.flat ?? tf.zerosLike(g.flat), g.flat, 1 - beta1);
        const v = (old?.expAvgSq.flat ?? tf.zerosLike(g.flat)).mul(beta2).add(g.flat.mul(1 - beta2).mul(g.flat)); // addcmul: self + (value·t1)·t2
        const stepSize = lr / (1 - beta1 ** step);
        const denom = v.sqrt().div(Math.sqrt(1 - beta2 ** step)).add(eps);
        assignFlat(g.params, p.add(m.mul(-stepSize).div(denom))); // addcdiv: self + (value·t1)/t2
        return [m, v];
      });
      if (old !== undefined) tf.dispose([old.expAvg.flat, old.expAvgSq.flat]);
      this.moments[i] = { step, expAvg: { params: g.params, flat: expAvg! }, expAvgSq: { params: g.params, flat: expAvgSq! } };
    });
  }

  /** Copies of the moments and step counts, keyed `<param>.exp_avg|.exp_avg_sq|.step`. The caller disposes them. */
  exportState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const s of this.moments) {
      if (s === undefined) continue;
      exportFlat(s.expAvg, '.exp_avg', out);
      exportFlat(s.expAvgSq, '.exp_avg_sq', out);
      for (const p of s.expAvg.params) out[p.name + '.step'] = tf.scalar(s.step, 'int32');
    }
    return out;
  }

  /** Replaces the moments with copies from `state`; a parameter without state starts fresh, as in torch. */
  importState(state: tf.NamedTensorMap): void {
    rejectUnknownKeys(state, new Set(this.groups.flatMap((g) => g.params.flatMap((p) => KEYS.map((k) => p.name + k)))), 'AdamW');
    const steps = this.groups.map((g) => {
      const counts = new Set<number>();
      for (const p of g.params) {
        const found = [
          hasStateTensor(state, p.name + '.exp_avg', p.variable.shape, 'float32', 'AdamW'),
          hasStateTensor(state, p.name + '.exp_avg_sq', p.variable.shape, 'float32', 'AdamW'),
          hasStateTensor(state, p.name + '.step', [], 'int32', 'AdamW'),
        ];
        if (found.some((f) => f !== found[0])) {
          throw new OptimStateError(`AdamW: state of "${p.name}" needs all of ${KEYS.join(', ')} or none`);
        }
        if (found[0]) counts.add(stateCount(state, p.name + '.step'));
      }
      if (counts.size > 1) {
        throw new OptimStateError(`AdamW: the ${g.kind} group's parameters have different step counts (${[...counts].join(', ')}); `
          + 'a group is stepped as a whole');
      }
      return [...counts][0];
    });
    this.dispose();
    this.groups.forEach((g, i) => {
      const expAvg = importFlat(g.params, state, '.exp_avg', 'AdamW');
      const expAvgSq = importFlat(g.params, state, '.exp_avg_sq', 'AdamW');
      if (expAvg !== undefined && expAvgSq !== undefined) this.moments[i] = { step: steps[i]!, expAvg, expAvgSq };
    });
  }

  dispose(): void {
    this.moments.forEach((s, i) => {
      if (s !== undefined) tf.dispose([s.expAvg.flat, s.expAvgSq.flat]);
      this.moments[i] = undefined;
    });
  }
}
