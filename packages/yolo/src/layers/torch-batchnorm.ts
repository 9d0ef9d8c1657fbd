// nn.BatchNorm2d with PyTorch's training semantics. tfjs' BatchNormalization updates the moving
// variance with the biased batch variance; PyTorch (torch.nn.functional.batch_norm) normalises
// with the biased variance but updates running_var with the unbiased one (× n/(n−1)), which
// matters on the small P5 maps of a small batch. Momentum follows PyTorch's convention:
// running = (1 − momentum)·running + momentum·batch; Ultralytics sets eps 1e-3, momentum 0.03
// (torch_utils.initialize_weights).
import * as tf from '@tensorflow/tfjs';
import { plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { isTraining, oneShape, oneTensor, type BaseLayerArgs, type Kwargs } from './kwargs.js';

export interface TorchBatchNormArgs extends BaseLayerArgs {
  eps?: number;
  /** PyTorch convention (weight of the new batch statistic). */
  momentum?: number;
}

export class TorchBatchNorm extends tf.layers.Layer implements TorchMappable {
  static className = 'TorchBatchNorm';
  readonly eps: number;
  readonly momentum: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private runningMean: tf.LayerVariable | null = null;
  private runningVar: tf.LayerVariable | null = null;

  constructor(args: TorchBatchNormArgs = {}) {
    super(args);
    this.eps = args.eps ?? 1e-3;
    this.momentum = args.momentum ?? 0.03;
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
      if (!isTraining(kwargs)) {
        return tf.batchNorm(x, this.runningMean!.read() as tf.Tensor1D, this.runningVar!.read() as tf.Tensor1D, beta, gamma, this.eps);
      }
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = x.shape[0] * x.shape[1] * x.shape[2];
      const m = this.momentum;
      const update = (v: tf.LayerVariable, batch: tf.Tensor) => {
        v.write(tf.tidy(() => tf.add(tf.mul(v.read(), 1 - m), tf.mul(batch, m))));
      };
      update(this.runningMean!, mean);
      update(this.runningVar!, n > 1 ? tf.mul(variance, n / (n - 1)) : variance);
      return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, this.eps);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), eps: this.eps, momentum: this.momentum };
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
