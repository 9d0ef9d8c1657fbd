// nn.BatchNorm2d with PyTorch's training semantics. tfjs' BatchNormalization updates the moving
// variance with the biased batch variance; PyTorch (torch.nn.functional.batch_norm) normalises
// with the biased variance but updates running_var with the unbiased one (× n/(n−1)), which
// matters on the small P5 maps of a small batch. Momentum follows PyTorch's convention:
// running = (1 − momentum)·running + momentum·batch; Ultralytics sets eps 1e-3, momentum 0.03
// (torch_utils.initialize_weights). With `activation: 'silu'` the layer is Ultralytics Conv's bn → act:
// the SiLU is applied here so that training on the fused kernels runs both as one op
// (@acmix-lab/acmix native/batchnorm_silu.cc) instead of BatchNorm's passes, then SiLU's.
import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormSilu, fusedBatchNormSiluUnavailable } from '@acmix-lab/acmix';
import { plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { isTraining, oneShape, oneTensor, type BaseLayerArgs, type Kwargs } from './kwargs.js';
import { numel, type ThopCounted } from './thop.js';
import { fusedBatchNormTraining, nativeOpsAvailable } from './native-ops.js';
import { silu } from './silu.js';

export interface TorchBatchNormArgs extends BaseLayerArgs {
  eps?: number;
  /** PyTorch convention (weight of the new batch statistic). */
  momentum?: number;
  /** nn.SiLU applied to the output (Conv's act); null or absent: none. */
  activation?: 'silu' | null;
}

interface RunningStatUpdate {
  variable: tf.LayerVariable;
  batch: tf.Tensor;
  momentum: number;
}

/** The updates collectRunningStats is gathering, or null: each layer applies its own at once. */
let collecting: RunningStatUpdate[] | null = null;

/**
 * running = (1 − m)·running + m·batch for every update, as one concat, three elementwise ops and one
 * split per momentum over all of them: elementwise, so each value is bit-identical to updating the
 * layers one by one (which took six ops and two scalar tensors per layer, ~340 small ops per YOLOv8n step).
 */
function applyRunningStats(updates: RunningStatUpdate[]): void {
  for (const m of new Set(updates.map((u) => u.momentum))) {
    const group = updates.filter((u) => u.momentum === m);
    tf.tidy(() => {
      const running = tf.concat(group.map((u) => u.variable.read()));
      const batch = tf.concat(group.map((u) => u.batch));
      const next = tf.split(tf.add(tf.mul(running, 1 - m), tf.mul(batch, m)), group.map((u) => u.batch.size));
      group.forEach((u, i) => u.variable.write(next[i]!));
    });
  }
}

/**
 * Runs `forward` (a training-mode forward, e.g. under tf.variableGrads) with every TorchBatchNorm's
 * running-statistics update held back, and returns its result with `apply`, which updates them all
 * at once. Call `apply` outside the gradient tape (where the updates are not recorded), before
 * anything reads the running statistics (eval mode, the EMA); it also frees the held batch
 * statistics, so call it exactly once, even when what followed the forward failed.
 * ACMIX_LAB_BATCHED_BN_STATS=0 updates each layer during the forward instead (bench:train's A/B).
 */
export function collectRunningStats<T>(forward: () => T): { result: T; apply: () => void } {
  if (process.env.ACMIX_LAB_BATCHED_BN_STATS === '0') return { result: forward(), apply: () => {} };
  if (collecting) throw new Error('collectRunningStats: already collecting (nested forward)');
  const updates: RunningStatUpdate[] = [];
  collecting = updates;
  let result: T;
  try {
    result = forward();
  } catch (err) {
    tf.dispose(updates.map((u) => u.batch));
    throw err;
  } finally {
    collecting = null;
  }
  return {
    result,
    apply: () => {
      try {
        applyRunningStats(updates);
      } finally {
        tf.dispose(updates.splice(0).map((u) => u.batch));
      }
    },
  };
}

export class TorchBatchNorm extends tf.layers.Layer implements TorchMappable, ThopCounted {
  static className = 'TorchBatchNorm';
  readonly eps: number;
  readonly momentum: number;
  readonly activation: 'silu' | null;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private runningMean: tf.LayerVariable | null = null;
  private runningVar: tf.LayerVariable | null = null;

  constructor(args: TorchBatchNormArgs = {}) {
    super(args);
    this.eps = args.eps ?? 1e-3;
    this.momentum = args.momentum ?? 0.03;
    this.activation = args.activation ?? null;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = oneShape(inputShape)[3];
    if (typeof c !== 'number') throw new Error(`${this.name}: input channels must be known`);
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    this.runningMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.runningVar = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs) as tf.Tensor4D;
      const gamma = this.gamma!.read() as tf.Tensor1D;
      const beta = this.beta!.read() as tf.Tensor1D;
      if (!isTraining(kwargs)) return this.activate(this.affine(x, this.runningMean!.read(), this.runningVar!.read(), gamma, beta));
      const onStats = (mean: tf.Tensor, unbiased: tf.Tensor) => this.updateRunningStats(mean, unbiased);
      if (this.activation === 'silu' && fusedBatchNormSiluUnavailable() === null) return fusedBatchNormSilu(x, gamma, beta, this.eps, onStats);
      return this.activate(nativeOpsAvailable() ? fusedBatchNormTraining(x, gamma, beta, this.eps, onStats) : this.normalizeBatch(x, gamma, beta));
    });
  }

  private activate(y: tf.Tensor): tf.Tensor {
    return this.activation === 'silu' ? silu(y) : y;
  }

  /**
   * Batch-statistics normalisation with a closed-form gradient (one tape node), for backends without
   * TensorFlow's fused op (with it a YOLOv8n training step takes ~25% less CPU time). tfjs' own gradient
   * of moments + batchNorm tiles full-size tensors and takes ~4× the elementwise passes; this is
   *   dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/σ · (dy − dβ/N − x̂·dγ/N),  x̂ = (x − μ)/σ, σ = √(var + eps).
   */
  private normalizeBatch(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor {
    const axes = [0, 1, 2];
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xi, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
      const { mean, variance } = tf.moments(xi, axes);
      this.updateRunningStats(mean, n > 1 ? tf.mul(variance, n / (n - 1)) : variance);
      const inv = tf.rsqrt(tf.add(variance, this.eps));
      save([xi, mean, inv, g]);
      return {
        value: this.affine(xi, mean, variance, g, b),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [sx, smean, sinv, sg] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          const d = dy as tf.Tensor4D;
          const xhat = tf.mul(tf.sub(sx, smean), sinv);
          const dbeta = tf.sum(d, axes);
          const dgamma = tf.sum(tf.mul(d, xhat), axes);
          const centred = tf.sub(tf.sub(d, tf.div(dbeta, n)), tf.mul(xhat, tf.div(dgamma, n)));
          return [tf.mul(centred, tf.mul(sg, sinv)), dgamma, dbeta];
        },
      };
    });
    return bn(x, gamma, beta);
  }

  /**
   * y = x·s + (β − μ·s) with s = γ/√(var + eps): two full-size passes. TensorFlow's CPU FusedBatchNorm
   * (what tf.batchNorm runs on tfjs-node) measured ~4× slower than this on NHWC maps here.
   */
  private affine(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, this.eps)));
    return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
  }

  /** running = (1 − m)·running + m·batch, with the unbiased batch variance (torch batch_norm); see collectRunningStats. */
  private updateRunningStats(mean: tf.Tensor, unbiasedVariance: tf.Tensor): void {
    const updates = [
      { variable: this.runningMean!, batch: mean, momentum: this.momentum },
      { variable: this.runningVar!, batch: unbiasedVariance, momentum: this.momentum },
    ];
    if (collecting) collecting.push(...updates.map((u) => ({ ...u, batch: tf.keep(u.batch) })));
    else applyRunningStats(updates);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), eps: this.eps, momentum: this.momentum, activation: this.activation };
  }

  /** thop's count_normalization: 2 ops per element, doubled for the affine transform. */
  thopOps([input]: number[][]): number {
    return 4 * numel(input!);
  }

  torchBindings(): TorchParamBinding[] {
    const c = this.gamma!.shape[0]!;
    return [
      plainBinding('weight', this.gamma!, [c]),
      plainBinding('bias', this.beta!, [c]),
      plainBinding('running_mean', this.runningMean!, [c], false),
      plainBinding('running_var', this.runningVar!, [c], false),
    ];
  }
}
tf.serialization.registerClass(TorchBatchNorm);
