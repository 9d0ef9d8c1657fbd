// SGD with torch.optim.SGD semantics (torch/optim/sgd.py::_single_tensor_sgd, dampening 0), which is
// what Ultralytics builds: optim.SGD(g[2], lr, momentum, nesterov=True) plus two added groups.
// Per parameter, with g its gradient and wd its group's weight decay:
//   d   = g + wd·p                         (coupled L2 decay, folded into the gradient)
//   buf = d on the first step, else momentum·buf + d
//   d   = d + momentum·buf (nesterov)  or  buf (classic)
//   p   = p − lr·d
// tf.train.momentum differs (it scales the accumulator by lr and has no per-group settings), hence this.
import * as tf from '@tensorflow/tfjs';
import { gradOf, type ParamGroup, type ParamKind, type TrainableParam } from './groups.js';
import { OptimizerConfigError } from './errors.js';
import { hasStateTensor, rejectUnknownKeys } from './state.js';

export interface SgdGroup {
  readonly kind: ParamKind;
  readonly params: readonly TrainableParam[];
  /** Set every iteration by the schedule (warmup, then lr0·lf(epoch)). */
  lr: number;
  /** Set during warmup (warmup_momentum → momentum). */
  momentum: number;
  readonly weightDecay: number;
}

export interface SgdOptions {
  lr: number;
  momentum: number;
  /** Applied to groups whose `decay` flag is set (Ultralytics' g[0]); the others get 0. */
  weightDecay: number;
  /** Ultralytics always passes nesterov=True. */
  nesterov?: boolean;
}

const BUFFER = '.momentum_buffer';

export class SGD {
  readonly name = 'SGD' as const;
  readonly groups: SgdGroup[];
  readonly nesterov: boolean;
  /** Momentum buffers by parameter name; absent until a parameter's first step, as in torch. */
  private readonly buffers = new Map<string, tf.Tensor>();

  constructor(groups: readonly ParamGroup[], options: SgdOptions) {
    this.nesterov = options.nesterov ?? true;
    if (this.nesterov && options.momentum <= 0) {
      throw new OptimizerConfigError(`SGD: nesterov momentum requires momentum > 0 (got ${options.momentum})`);
    }
    this.groups = groups.map((g) => ({
      kind: g.kind, params: g.params, lr: options.lr, momentum: options.momentum,
      weightDecay: g.decay ? options.weightDecay : 0,
    }));
  }

  /** One optimizer step; `grads` is keyed by tf.Variable name. Parameters without a gradient are skipped. */
  step(grads: tf.NamedTensorMap): void {
    for (const group of this.groups) {
      const { lr, momentum, weightDecay } = group;
      for (const p of group.params) {
        const g = gradOf(grads, p, 'SGD');
        if (g === undefined) continue;
        const old = this.buffers.get(p.name);
        const buf = tf.tidy(() => {
          const d = weightDecay !== 0 ? g.add(p.variable.mul(weightDecay)) : g;
          let next: tf.Tensor | undefined;
          if (momentum !== 0) next = old === undefined ? d.clone() : old.mul(momentum).add(d);
          const update = next === undefined ? d : this.nesterov ? d.add(next.mul(momentum)) : next;
          p.variable.assign(p.variable.sub(update.mul(lr)));
          return next;
        });
        if (buf !== undefined) {
          old?.dispose();
          this.buffers.set(p.name, buf);
        }
      }
    }
  }

  /** Copies of the momentum buffers, keyed `<param>.momentum_buffer`. The caller disposes them. */
  exportState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, buf] of this.buffers) out[name + BUFFER] = buf.clone();
    return out;
  }

  /** Replaces the buffers with copies from `state` (a parameter without one starts fresh, as in torch). */
  importState(state: tf.NamedTensorMap): void {
    const params = this.groups.flatMap((g) => g.params);
    rejectUnknownKeys(state, new Set(params.map((p) => p.name + BUFFER)), 'SGD');
    const present = params.filter((p) => hasStateTensor(state, p.name + BUFFER, p.variable.shape, 'float32', 'SGD'));
    this.dispose();
    for (const p of present) this.buffers.set(p.name, state[p.name + BUFFER]!.clone());
  }

  dispose(): void {
    for (const buf of this.buffers.values()) buf.dispose();
    this.buffers.clear();
  }
}
