// TensorFlow ops that tfjs does not expose, called by op name through the tfjs-node backend (native
// backend only). They replace elementwise chains that took more time than the convolutions of a
// YOLOv8 training step: each tfjs op is one full pass over the feature map.
import * as tf from '@tensorflow/tfjs';

interface NativeBackend {
  binding: Record<'TF_ATTR_TYPE' | 'TF_ATTR_FLOAT' | 'TF_ATTR_STRING' | 'TF_ATTR_BOOL' | 'TF_FLOAT', number>;
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

/** The ops exist only in native TensorFlow. */
export function nativeOpsAvailable(): boolean {
  return tf.getBackend() === 'tensorflow';
}

/** dy·s·(1 − s) for s = σ(x), as one pass (TensorFlow's SigmoidGrad). Native float32 tensors only. */
export function sigmoidGrad(s: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const backend = tf.backend() as unknown as NativeBackend;
  return backend.executeSingleOutput('SigmoidGrad', [{ name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT }], [s, dy]);
}

function opAttrs(b: NativeBackend['binding'], eps: number, withAvgFactor: boolean): unknown[] {
  const attrs: unknown[] = [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'U', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: eps },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
  // 1 returns the batch statistics themselves rather than a running average of them.
  if (withAvgFactor) attrs.push({ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 });
  return attrs;
}

/**
 * Training-mode batch normalisation as FusedBatchNormV3 / FusedBatchNormGradV3 (oneDNN on x86; tfjs
 * exposes only the inference form): ~6 full-size tfjs passes forward and ~9 backward become one op each.
 * y = γ·(x − μ)/√(σ² + eps) + β over the batch statistics of NHWC `x` (biased σ², as torch
 * batch_norm normalises), with the gradient of all three inputs. `onStats` receives the batch mean
 * and the unbiased (× n/(n−1)) batch variance, which is what FusedBatchNormV3 returns in training
 * and what torch folds into running_var.
 */
export function fusedBatchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number,
  onStats: (mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D) => void): tf.Tensor4D {
  const backend = tf.backend() as unknown as NativeBackend;
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const empty = tf.tensor1d([]);
    // Outputs: y, batch_mean, batch_variance, then reserve spaces 1–3 (what the gradient op reads).
    const [y, mean, variance, ...reserve] = backend.executeMultipleOutputs('FusedBatchNormV3',
      opAttrs(backend.binding, eps, true), [xi, g, b, empty, empty], 6);
    onStats(mean as tf.Tensor1D, variance as tf.Tensor1D);
    save([xi, g, ...reserve]);
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        // Outputs: dx, dγ, dβ, then two unused reserve spaces.
        const [dx, dgamma, dbeta] = backend.executeMultipleOutputs('FusedBatchNormGradV3',
          opAttrs(backend.binding, eps, false), [dy as tf.Tensor, ...saved], 5);
        return [dx!, dgamma!, dbeta!];
      },
    };
  });
  return bn(x, gamma, beta);
}
