// Gradient accumulation and clipping as in Ultralytics v8.1/v8.2 engine/trainer.py: backward() adds
// each batch's gradients into .grad, an optimizer step happens when `ni − last_opt_step >= accumulate`
// (last_opt_step starting at −1), and optimizer_step clips with clip_grad_norm_(max_norm=10.0) first.
// zero_grad() also runs at the start of every epoch, dropping a partial sum left by the previous one.
import * as tf from '@tensorflow/tfjs';
import type { TrainableParam } from './groups.js';
import { OptimStateError } from './errors.js';
import { exportFlat, flatGrads, importFlatGroups, requireSameParams, type FlatTensors } from './flat-state.js';
import { rejectUnknownKeys } from './state.js';

/**
 * torch.nn.utils.clip_grad_norm_ over every group's flat gradients: every gradient is multiplied by
 * min(maxNorm / (total + 1e-6), 1), total being the global L2 norm. torch takes the norm of the
 * per-tensor norms; here it is √(Σ g²) over all elements, the same up to float rounding. Returns new flat
 * tensors (the caller disposes them and the inputs) and the total before clipping (NaN or Infinity when
 * a gradient is not finite).
 */
export function clipGradNorm(grads: readonly (FlatTensors | undefined)[], maxNorm: number): { grads: (FlatTensors | undefined)[]; totalNorm: number } {
  const present = grads.filter((g) => g !== undefined);
  if (present.length === 0) return { grads: grads.map(() => undefined), totalNorm: 0 };
  const [total, ...clipped] = tf.tidy(() => {
    const totalNorm = tf.sqrt(tf.addN(present.map((g) => tf.sum(tf.square(g.flat)))));
    const coef = tf.minimum(tf.div(maxNorm, totalNorm.add(1e-6)), 1);
    return [totalNorm, ...present.map((g) => g.flat.mul(coef))];
  });
  const totalNorm = total!.dataSync()[0]!;
  total!.dispose();
  return { grads: grads.map((g) => g && { params: g.params, flat: clipped[present.indexOf(g)]! }), totalNorm };
}

const GRAD = '.grad';

/** Sums gradients across batches, one flat sum per parameter group, and decides with Ultralytics' cadence when to step. */
export class GradientAccumulator {
  /** ni of the last optimizer step; −1 before the first. */
  lastOptStep = -1;
  private readonly groups: readonly (readonly TrainableParam[])[];
  private readonly variableNames: ReadonlySet<string>;
  /** Running sums per group (the group's parameters that have gradients). */
  private readonly sums: (FlatTensors | undefined)[];

  /** `groups`: the optimizer's parameter groups, in its order. */
  constructor(groups: readonly (readonly TrainableParam[])[]) {
    this.groups = groups;
    this.variableNames = new Set(groups.flatMap((g) => g.map((p) => p.variable.name)));
    this.sums = groups.map(() => undefined);
  }

  /** Adds one batch's gradients (keyed by tf.Variable name, as tf.variableGrads returns); inputs are not disposed. */
  add(grads: tf.NamedTensorMap): void {
    const unknown = Object.keys(grads).find((k) => !this.variableNames.has(k));
    if (unknown !== undefined) throw new OptimStateError(`GradientAccumulator: gradient for unknown variable "${unknown}"`);
    this.groups.forEach((params, i) => {
      const batch = flatGrads(params, grads, 'GradientAccumulator');
      const old = this.sums[i];
      if (batch === undefined) {
        if (old !== undefined) requireSameParams(old, [], 'GradientAccumulator');
        return;
      }
      if (old === undefined) {
        this.sums[i] = batch;
        return;
      }
      try {
        requireSameParams(old, batch.params, 'GradientAccumulator');
        this.sums[i] = { params: old.params, flat: old.flat.add(batch.flat) };
        old.flat.dispose();
      } finally {
        batch.flat.dispose();
      }
    });
  }

  /** The summed gradients per group (owned by the accumulator until zero()). */
  get grads(): readonly (FlatTensors | undefined)[] {
    return this.sums;
  }

  /** Ultralytics' condition for an optimizer step at iteration ni. */
  due(ni: number, accumulate: number): boolean {
    return ni - this.lastOptStep >= accumulate;
  }

  /** optimizer.zero_grad(): drops the sums (after a step, and at every epoch start). */
  zero(): void {
    this.sums.forEach((sum, i) => {
      sum?.flat.dispose();
      this.sums[i] = undefined;
    });
  }

  /** Copies of the pending sums keyed `<param>.grad`; with lastOptStep this restores a run mid-accumulation. */
  exportState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const sum of this.sums) if (sum !== undefined) exportFlat(sum, GRAD, out);
    return out;
  }

  importState(state: tf.NamedTensorMap, lastOptStep: number): void {
    rejectUnknownKeys(state, new Set(this.groups.flat().map((p) => p.name + GRAD)), 'GradientAccumulator');
    const imported = importFlatGroups(this.groups, state, GRAD, 'GradientAccumulator');
    this.zero();
    imported.forEach((sum, i) => { this.sums[i] = sum; });
    this.lastOptStep = lastOptStep;
  }

  dispose(): void {
    this.zero();
  }
}
