// A run's optimisation state (optimizer, its schedule loop, the EMA) and one training step on one
// batch: forward in training mode, the v8 loss, backward, then the optimizer loop (accumulation,
// clipping, step, EMA). Shared by train() and bench:train so the benchmark times the real step.
import * as tf from '@tensorflow/tfjs';
import { useNativeConcatSplit, useNativeFilterGradient, useNativeMaxPoolGrad, useWinogradConv } from '@acmix-lab/acmix';
import { collectRunningStats, type YoloModel } from '@acmix-lab/yolo';
import type { Batch } from '../data/batch.js';
import { v8DetectionLoss, type LossGains } from '../loss/detection-loss.js';
import { buildOptimizer } from '../optim/build.js';
import { ModelEMA } from '../optim/ema.js';
import { OptimizerLoop, type BatchOutcome } from '../optim/loop.js';
import type { TrainConfig } from './config.js';
import { trainableParams, variablesByKey } from './model-state.js';

export interface StepResult {
  /** The differentiated loss ((box·7.5 + cls·0.5 + dfl·1.5) × batch). */
  loss: number;
  /** The gained per-item losses (Ultralytics' loss items). */
  items: LossGains;
  /** The optimizer loop's outcome, or null when the loss was not finite and nothing was applied. */
  outcome: BatchOutcome | null;
}

/** The parts of a step, in order, as reported to a profiler (bench:train --profile). */
export type StepPhase = 'forward' | 'loss' | 'backward' | 'optimizer' | 'ema' | 'done';

export interface TrainingStepOptions {
  /** Called as each phase starts; 'done' when the step returns. */
  onPhase?: (phase: StepPhase) => void;
}

export class TrainingStep {
  readonly ema: ModelEMA;
  readonly loop: OptimizerLoop;
  /** Ultralytics' optimizer log lines (the auto notice, the parameter groups). */
  readonly log: string[];
  private readonly dispose_: () => void;
  private readonly vars: tf.Variable[];
  private readonly phase: (phase: StepPhase) => void;

  constructor(private readonly model: YoloModel, private readonly config: TrainConfig, data: { nc: number; images: number; nb: number },
    options: TrainingStepOptions = {}) {
    this.phase = options.onPhase ?? (() => {});
    // Every conv's filter gradient by @acmix-lab/acmix's native kernel (faster than TensorFlow's, bench:kernels);
    // it declines, and TensorFlow's kernels run, where the addon is not built or ACMIX_LAB_FUSED=0. The 3×3
    // stride-1 convs' forward and input gradient by Winograd likewise (also off with ACMIX_LAB_WINOGRAD=0), and every
    // max pool's gradient (SPPF's), bit for bit TensorFlow's MaxPoolGrad and ~10× faster; and every concat and split
    // (C2f's, the neck's and their gradients), bit for bit TensorFlow's ConcatV2 and SplitV (ACMIX_LAB_NATIVE_CONCAT=0).
    useNativeFilterGradient();
    useWinogradConv();
    useNativeMaxPoolGrad();
    useNativeConcatSplit();
    const params = trainableParams(model);
    const setup = buildOptimizer(params, config, data);
    this.log = setup.log;
    // Ultralytics' ModelEMA averages the whole state_dict: parameters and BatchNorm statistics. The model's
    // variables stay the same objects (loading weights writes into them): looked up once, not every
    // optimizer step (walking every layer's torch bindings took ~4 ms).
    const modelState = variablesByKey(model);
    this.ema = new ModelEMA(modelState);
    this.loop = new OptimizerLoop({ optimizer: setup.optimizer, schedule: setup.schedule, ema: { model: this.ema, modelState: () => { this.phase('ema'); return modelState; } } });
    this.vars = params.map((p) => p.variable).filter((v) => v.trainable);
    this.dispose_ = () => setup.optimizer.dispose();
  }

  /** One batch at iteration ni = i + nb·epoch. */
  run(batch: Pick<Batch, 'images' | 'size' | 'imgsz' | 'targets'>, ni: number, epoch: number): StepResult {
    this.phase('forward');
    const featureSizes = this.model.levelShapes(batch.imgsz);
    let items: LossGains = { box: 0, cls: 0, dfl: 0 };
    const x = tf.tensor4d(batch.images, [batch.size, batch.imgsz, batch.imgsz, 3]);
    // BatchNorm's running statistics are updated after the gradient, all layers at once and off the tape.
    let applyRunningStats = () => {};
    let differentiated: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      differentiated = tf.variableGrads(() => {
        const forward = collectRunningStats(() => this.model.forwardTrain(x, true));
        applyRunningStats = forward.apply;
        this.phase('loss');
        const res = v8DetectionLoss(forward.result, featureSizes, batch.targets, { nc: this.model.nc ?? 0, strides: this.model.strides, hyp: this.config });
        items = res.items;
        this.phase('backward');
        return res.loss;
      }, this.vars);
    } finally {
      applyRunningStats();
    }
    const { value, grads } = differentiated;
    const loss = value.dataSync()[0]!;
    tf.dispose([x, value]);
    this.phase('optimizer');
    try {
      return { loss, items, outcome: Number.isFinite(loss) ? this.loop.batch(ni, epoch, grads) : null };
    } finally {
      tf.dispose(grads);
      this.phase('done');
    }
  }

  dispose(): void {
    this.loop.dispose();
    this.dispose_();
    this.ema.dispose();
  }
}
