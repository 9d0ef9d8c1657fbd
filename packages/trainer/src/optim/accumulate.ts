// Gradient accumulation and clipping as in Ultralytics v8.1/v8.2 engine/trainer.py: backward() adds
// each batch's gradients into .grad, an optimizer step happens when `ni − last_opt_step >= accumulate`
// (last_opt_step starting at −1), and optimizer_step clips with clip_grad_norm_(max_norm=10.0) first.
// zero_grad() also runs at the start of every epoch, dropping a partial sum left by the previous one.
import * as tf from '@tensorflow/tfjs';
import type { TrainableParam } from './groups.js';
import { OptimStateError } from './errors.js';
import { hasStateTensor, rejectUnknownKeys } from './state.js';

/**
 * torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖₂, ‖g₂‖₂, …)‖₂; every gradient is multiplied by
 * min(maxNorm / (total + 1e-6), 1). Returns new tensors (the caller disposes them and the inputs) and
 * the total norm before clipping (NaN or Infinity when a gradient is not finite).
 */
export function clipGradNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; totalNorm: number } {
  const names = Object.keys(grads);
  if (names.length === 0) return { grads: {}, totalNorm: 0 };
  const [total, clipped] = tf.tidy(() => {
    const norms = names.map((n) => tf.norm(grads[n]!));
    const totalNorm = tf.norm(tf.stack(norms));
    const coef = tf.minimum(tf.div(maxNorm, totalNorm.add(1e-6)), 1);
    return [totalNorm, names.map((n) => grads[n]!.mul(coef))] as const;
  });
  const totalNorm = total.dataSync()[0]!;
  total.dispose();
  return { grads: Object.fromEntries(names.map((n, i) => [n, clipped[i]!])), totalNorm };
}

const GRAD = '.grad';

/** Sums gradients across batches and decides, with Ultralytics' cadence, when to step. */
export class GradientAccumulator {
  /** ni of the last optimizer step; −1 before the first. */
  lastOptStep = -1;
  private readonly params: readonly TrainableParam[];
  private readonly byVariable: ReadonlyMap<string, TrainableParam>;
  /** Running sums keyed by tf.Variable name. */
  private readonly sums = new Map<string, tf.Tensor>();

  constructor(params: readonly TrainableParam[]) {
    this.params = params;
    this.byVariable = new Map(params.map((p) => [p.variable.name, p]));
  }

  /** Adds one batch's gradients (keyed by tf.Variable name, as tf.variableGrads returns); inputs are not disposed. */
  add(grads: tf.NamedTensorMap): void {
    for (const [key, g] of Object.entries(grads)) {
      const p = this.byVariable.get(key);
      if (p === undefined) throw new OptimStateError(`GradientAccumulator: gradient for unknown variable "${key}"`);
      const old = this.sums.get(key);
      this.sums.set(key, old === undefined ? g.clone() : tf.tidy(() => old.add(g)));
      old?.dispose();
    }
  }

  /** The summed gradients keyed by tf.Variable name (owned by the accumulator until zero()). */
  get grads(): tf.NamedTensorMap {
    return Object.fromEntries(this.sums);
  }

  /** Ultralytics' condition for an optimizer step at iteration ni. */
  due(ni: number, accumulate: number): boolean {
    return ni - this.lastOptStep >= accumulate;
  }

  /** optimizer.zero_grad(): drops the sums (after a step, and at every epoch start). */
  zero(): void {
    for (const t of this.sums.values()) t.dispose();
    this.sums.clear();
  }

  /** Copies of the pending sums keyed `<param>.grad`; with lastOptStep this restores a run mid-accumulation. */
  exportState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const p of this.params) {
      const sum = this.sums.get(p.variable.name);
      if (sum !== undefined) out[p.name + GRAD] = sum.clone();
    }
    return out;
  }

  importState(state: tf.NamedTensorMap, lastOptStep: number): void {
    rejectUnknownKeys(state, new Set(this.params.map((p) => p.name + GRAD)), 'GradientAccumulator');
    const present = this.params.filter((p) =>
      hasStateTensor(state, p.name + GRAD, p.variable.shape, 'float32', 'GradientAccumulator'));
    this.zero();
    for (const p of present) this.sums.set(p.variable.name, state[p.name + GRAD]!.clone());
    this.lastOptStep = lastOptStep;
  }

  dispose(): void {
    this.zero();
  }
}
