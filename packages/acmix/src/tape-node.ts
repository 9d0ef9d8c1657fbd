// A differentiable computation with several outputs as one tape node (tf.customGrad allows one output): the
// projections of the fused path (projection.ts) and the composed weights (composed-weights.ts).
import * as tf from '@tensorflow/tfjs';

/** tfjs' engine entry point for custom gradients, which tf.customGrad wraps for one output. */
interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor[];
}

/**
 * Runs `forward(save)` on `inputs` as one tape node; `backward(dys, saved)` returns the gradient of every
 * input in order (dys: one per output, zeros for an output the loss does not use).
 */
export function tapeNode(inputs: tf.Tensor[], forward: (save: (tensors: tf.Tensor[]) => void) => tf.Tensor[],
  backward: (dys: tf.Tensor[], saved: tf.Tensor[]) => tf.Tensor[]): tf.Tensor[] {
  return (tf.engine() as unknown as KernelFuncEngine).runKernelFunc({
    inputs: Object.fromEntries(inputs.map((t, i) => [String(i), t])),
    forwardFunc: (_, save) => forward(save),
    backwardsFunc: (dy, saved) => {
      // tfjs passes a one-output node's dy alone.
      const grads = backward(Array.isArray(dy) ? dy : [dy], saved);
      return Object.fromEntries(grads.map((g, i) => [String(i), () => g]));
    },
  });
}
