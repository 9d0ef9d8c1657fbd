// AdamW with torch.optim.AdamW semantics (torch/optim/adam.py::_single_tensor_adam with
// decoupled_weight_decay, amsgrad off), as Ultralytics builds it: betas (momentum, 0.999), eps 1e-8,
// weight_decay 0 on the bias group and the scaled decay on g[0]. Per parameter, step t counted per
// parameter:
//   p  = p·(1 − lr·wd)                      (decoupled decay, before the moments)
//   m  = lerp(m, g, 1 − β1);  v = β2·v + (1 − β2)·g²
//   p  = p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
// Ultralytics' warmup sets a group's "momentum" only when the key exists, which it does not for Adam
// groups, so β1 stays at its build value during warmup (schedule.ts::applySchedule follows that).
import * as tf from '@tensorflow/tfjs';
import { gradOf, type ParamGroup, type ParamKind, type TrainableParam } from './groups.js';
import { OptimStateError } from './errors.js';
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

interface Moments {
  step: number;
  expAvg: tf.Tensor;
  expAvgSq: tf.Tensor;
}

const KEYS = ['.exp_avg', '.exp_avg_sq', '.step'] as const;

/** torch's lerp kernel picks the form by weight, for accuracy near both ends. */
function lerp(from: tf.Tensor, to: tf.Tensor, weight: number): tf.Tensor {
  return weight < 0.5 ? from.add(to.sub(from).mul(weight)) : to.sub(to.sub(from).mul(1 - weight));
}

export class AdamW {
  readonly name = 'AdamW' as const;
  readonly groups: AdamWGroup[];
  private readonly moments = new Map<string, Moments>();

  constructor(groups: readonly ParamGroup[], options: AdamWOptions) {
    this.groups = groups.map((g) => ({
      kind: g.kind, params: g.params, lr: options.lr, beta1: options.momentum, beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8, weightDecay: g.decay ? options.weightDecay : 0,
    }));
  }

  /** One optimizer step; `grads` is keyed by tf.Variable name. Parameters without a gradient are skipped. */
  step(grads: tf.NamedTensorMap): void {
    for (const group of this.groups) {
      const { lr, beta1, beta2, eps, weightDecay } = group;
      for (const p of group.params) {
        const g = gradOf(grads, p, 'AdamW');
        if (g === undefined) continue;
        const s = this.moments.get(p.name) ?? {
          step: 0, expAvg: tf.zerosLike(p.variable), expAvgSq: tf.zerosLike(p.variable),
        };
        s.step += 1;
        const [expAvg, expAvgSq] = tf.tidy(() => {
          if (weightDecay !== 0) p.variable.assign(p.variable.mul(1 - lr * weightDecay));
          const m = lerp(s.expAvg, g, 1 - beta1);
          const v = s.expAvgSq.mul(beta2).add(g.mul(1 - beta2).mul(g)); // addcmul: self + (value·t1)·t2
          const stepSize = lr / (1 - beta1 ** s.step);
          const denom = v.sqrt().div(Math.sqrt(1 - beta2 ** s.step)).add(eps);
          p.variable.assign(p.variable.add(m.mul(-stepSize).div(denom))); // addcdiv: self + (value·t1)/t2
          return [m, v];
        });
        tf.dispose([s.expAvg, s.expAvgSq]);
        this.moments.set(p.name, { step: s.step, expAvg: expAvg!, expAvgSq: expAvgSq! });
      }
    }
  }

  /** Copies of the moments and step counts, keyed `<param>.exp_avg|.exp_avg_sq|.step`. The caller disposes them. */
  exportState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, s] of this.moments) {
      out[name + '.exp_avg'] = s.expAvg.clone();
      out[name + '.exp_avg_sq'] = s.expAvgSq.clone();
      out[name + '.step'] = tf.scalar(s.step, 'int32');
    }
    return out;
  }

  /** Replaces the moments with copies from `state`; a parameter without state starts fresh, as in torch. */
  importState(state: tf.NamedTensorMap): void {
    const params = this.groups.flatMap((g) => g.params);
    rejectUnknownKeys(state, new Set(params.flatMap((p) => KEYS.map((k) => p.name + k))), 'AdamW');
    const present = params.filter((p) => {
      const found = [
        hasStateTensor(state, p.name + '.exp_avg', p.variable.shape, 'float32', 'AdamW'),
        hasStateTensor(state, p.name + '.exp_avg_sq', p.variable.shape, 'float32', 'AdamW'),
        hasStateTensor(state, p.name + '.step', [], 'int32', 'AdamW'),
      ];
      if (found.some((f) => f !== found[0])) {
        throw new OptimStateError(`AdamW: state of "${p.name}" needs all of ${KEYS.join(', ')} or none`);
      }
      return found[0];
    });
    this.dispose();
    for (const p of present) {
      this.moments.set(p.name, {
        step: stateCount(state, p.name + '.step'),
        expAvg: state[p.name + '.exp_avg']!.clone(),
        expAvgSq: state[p.name + '.exp_avg_sq']!.clone(),
      });
    }
  }

  dispose(): void {
    for (const s of this.moments.values()) tf.dispose([s.expAvg, s.expAvgSq]);
    this.moments.clear();
  }
}
