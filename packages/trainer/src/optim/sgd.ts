// SGD with torch.optim.SGD semantics (torch/optim/sgd.py::_single_tensor_sgd, dampening 0), which is
// what Ultralytics builds: optim.SGD(g[2], lr, momentum, nesterov=True) plus two added groups.
// Per parameter, with g its gradient and wd its group's weight decay:
//   d   = g + wd·p                         (coupled L2 decay, folded into the gradient)
//   buf = d on the first step, else momentum·buf + d
//   d   = d + momentum·buf (nesterov)  or  buf (classic)
//   p   = p − lr·d
// tf.train.momentum differs (it scales the accumulator by lr and has no per-group settings), hence this.
// Each group is updated as one flat tensor (flat-state.ts): the same elementwise ops on every element.
import * as tf from '@tensorflow/tfjs';
import type { ParamGroup, ParamKind, TrainableParam } from './groups.js';
import { OptimizerConfigError } from './errors.js';
import { assignFlat, exportFlat, flatValues, importFlatGroups, requireSameParams, type FlatTensors } from './flat-state.js';
import { rejectUnknownKeys } from './state.js';

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
  /** Momentum buffers per group, flat; absent until the group's first step, as in torch. */
  private readonly buffers: (FlatTensors | undefined)[];

  constructor(groups: readonly ParamGroup[], options: SgdOptions) {
    this.nesterov = options.nesterov ?? true;
    if (this.nesterov && options.momentum <= 0) {
      throw new OptimizerConfigError(`SGD: nesterov momentum requires momentum > 0 (got ${options.momentum})`);
    }
    this.groups = groups.map((g) => ({
      kind: g.kind, params: g.params, lr: options.lr, momentum: options.momentum,
      weightDecay: g.decay ? options.weightDecay : 0,
    }));
    this.buffers = this.groups.map(() => undefined);
  }

  /** One optimizer step on each group's flat gradients (flatGrads); a group without gradients is skipped. */
  step(grads: readonly (FlatTensors | undefined)[]): void {
    this.groups.forEach((group, i) => {
      const g = grads[i];
      if (g === undefined) return;
      const old = this.buffers[i];
      if (old !== undefined) requireSameParams(old, g.params, 'SGD');
      const { lr, momentum, weightDecay } = group;
      const buf = tf.tidy(() => {
        const p = flatValues(g.params);
        const d = weightDecay !== 0 ? g.flat.add(p.mul(weightDecay)) : g.flat;
        let next: tf.Tensor | undefined;
        if (momentum !== 0) next = old === undefined ? d.clone() : old.flat.mul(momentum).add(d);
        const update = next === undefined ? d : this.nesterov ? d.add(next.mul(momentum)) : next;
        assignFlat(g.params, p.sub(update.mul(lr)));
        return next;
      });
      if (buf !== undefined) {
        old?.flat.dispose();
        this.buffers[i] = { params: g.params, flat: buf };
      }
    });
  }

  /** Copies of the momentum buffers, keyed `<param>.momentum_buffer`. The caller disposes them. */
  exportState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const buf of this.buffers) if (buf !== undefined) exportFlat(buf, BUFFER, out);
    return out;
  }

  /** Replaces the buffers with copies from `state` (a parameter without one starts fresh, as in torch). */
  importState(state: tf.NamedTensorMap): void {
    rejectUnknownKeys(state, new Set(this.groups.flatMap((g) => g.params.map((p) => p.name + BUFFER))), 'SGD');
    const imported = importFlatGroups(this.groups.map((g) => g.params), state, BUFFER, 'SGD');
    this.dispose();
    imported.forEach((buf, i) => { this.buffers[i] = buf; });
  }

  dispose(): void {
    this.buffers.forEach((buf, i) => {
      buf?.flat.dispose();
      this.buffers[i] = undefined;
    });
  }
}
