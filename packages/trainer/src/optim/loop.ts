// The optimisation half of Ultralytics' training loop (v8.1/v8.2 engine/trainer.py::_do_train and
// optimizer_step), for one batch at a time: set lr/momentum for (ni, epoch), add the batch's gradients,
// and when `ni − last_opt_step >= accumulate` clip them to global norm 10, step the optimizer, zero the
// sums and update the EMA. The caller runs forward/backward and owns the optimizer and the EMA.
import type * as tf from '@tensorflow/tfjs';
import { clipGradNorm, GradientAccumulator } from './accumulate.js';
import type { Optimizer } from './build.js';
import type { ModelEMA } from './ema.js';
import { applySchedule, learningRates, type ScheduleConfig, type ScheduledHyper } from './schedule.js';

/** engine/trainer.py::optimizer_step: torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0). */
export const MAX_GRAD_NORM = 10;

export interface OptimizerLoopOptions {
  optimizer: Optimizer;
  schedule: ScheduleConfig;
  /** The EMA and a function returning the model's current state (names as the EMA was built with). */
  ema?: { model: ModelEMA; modelState: () => tf.NamedTensorMap };
  maxNorm?: number;
}

export interface BatchOutcome {
  stepped: boolean;
  /** lr per group, momentum and accumulate in force for this batch. */
  hyper: ScheduledHyper;
  /** Global gradient norm before clipping, when a step happened (NaN/Infinity flags a diverged loss). */
  gradNorm: number | null;
}

/** Named tensors are copies keyed by parameter name; the caller disposes them. */
export interface OptimizerLoopState {
  /** Momentum buffers (SGD) or moments and step counts (AdamW). */
  optimizer: tf.NamedTensorMap;
  /** Gradient sums of an unfinished accumulation (empty at an epoch boundary). */
  pendingGrads: tf.NamedTensorMap;
  lastOptStep: number;
}

export class OptimizerLoop {
  readonly optimizer: Optimizer;
  readonly schedule: ScheduleConfig;
  private readonly ema: OptimizerLoopOptions['ema'];
  private readonly maxNorm: number;
  private readonly accumulator: GradientAccumulator;

  constructor(options: OptimizerLoopOptions) {
    this.optimizer = options.optimizer;
    this.schedule = options.schedule;
    this.ema = options.ema;
    this.maxNorm = options.maxNorm ?? MAX_GRAD_NORM;
    this.accumulator = new GradientAccumulator(this.optimizer.groups.map((g) => g.params));
  }

  /** Call at the start of every epoch: Ultralytics zero_grads there, dropping a partial accumulation. */
  beginEpoch(): void {
    this.accumulator.zero();
  }

  /** One batch at iteration ni = i + nb·epoch; `grads` keyed by tf.Variable name (not disposed here). */
  batch(ni: number, epoch: number, grads: tf.NamedTensorMap): BatchOutcome {
    const hyper = learningRates(ni, epoch, this.schedule);
    applySchedule(this.optimizer, hyper);
    this.accumulator.add(grads);
    if (!this.accumulator.due(ni, hyper.accumulate)) return { stepped: false, hyper, gradNorm: null };
    const clipped = clipGradNorm(this.accumulator.grads, this.maxNorm);
    try {
      this.optimizer.step(clipped.grads);
    } finally {
      for (const g of clipped.grads) g?.flat.dispose();
    }
    this.accumulator.zero();
    this.accumulator.lastOptStep = ni;
    if (this.ema) this.ema.model.update(this.ema.modelState());
    return { stepped: true, hyper, gradNorm: clipped.totalNorm };
  }

  /** Everything needed to continue from this point exactly (the EMA exports itself). */
  exportState(): OptimizerLoopState {
    return {
      optimizer: this.optimizer.exportState(),
      pendingGrads: this.accumulator.exportState(),
      lastOptStep: this.accumulator.lastOptStep,
    };
  }

  importState(state: OptimizerLoopState): void {
    this.optimizer.importState(state.optimizer);
    this.accumulator.importState(state.pendingGrads, state.lastOptStep);
  }

  /** Releases the pending gradient sums (the optimizer and EMA belong to the caller). */
  dispose(): void {
    this.accumulator.dispose();
  }
}
