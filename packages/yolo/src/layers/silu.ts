// nn.SiLU, x·σ(x), with a closed-form gradient dy·σ·(1 + x·(1 − σ)). tfjs' 'swish' activation
// differentiates through Multiply, whose gradient copies both operands (a float32 → float32 Cast
// each) on tfjs-node: three extra full-size passes per activation in every training step. On native
// TensorFlow the gradient is dy·σ + x·SigmoidGrad(σ, dy): four passes instead of five (~10% less time).
// With the fused kernels built (@acmix-lab/acmix native/silu.cc) forward and backward are one pass each.
// Conv applies it inside its BatchNorm layer (torch-batchnorm.ts), which fuses the two when it can.
import * as tf from '@tensorflow/tfjs';
import { fusedAttentionUnavailable, fusedSilu } from '@acmix-lab/acmix';
import { nativeOpsAvailable, sigmoidGrad } from './native-ops.js';

export function silu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && fusedAttentionUnavailable() === null) return fusedSilu(x);
  const native = nativeOpsAvailable();
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const s = tf.sigmoid(xi);
    save([xi, s]);
    return {
      value: tf.mul(xi, s),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [sx, ss]: tf.Tensor[]) => native
        ? tf.add(tf.mul(dy as tf.Tensor, ss!), tf.mul(sx!, sigmoidGrad(ss!, dy as tf.Tensor)))
        : tf.mul(tf.mul(dy as tf.Tensor, ss!), tf.add(tf.mul(sx!, tf.sub(1, ss!)), 1)),
    };
  });
  return f(x);
}
