// The fused path's composed weights (the layer's composedWeights(), README.md "How it is computed") as one
// native op forward and one backward (native/composed_weights.cc) instead of ~30 and ~100 small TensorFlow
// ops per layer and batch. `ACMIX_LAB_ACMIX_COMPOSE=0` composes them from TensorFlow.js ops, as the
// fallback path always does.
import type * as tf from '@tensorflow/tfjs';
import { runNativeOp } from './native-op.js';
import { tapeNode } from './tape-node.js';

/** The layer's weights the composition reads (conv_p.bias cancels), in the native op's input order. */
export const COMPOSE_INPUTS = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'wp', 'fc', 'dep', 'rate1', 'rate2'] as const;
export type ComposeInputs = Record<(typeof COMPOSE_INPUTS)[number], tf.Tensor>;

/** What the fused kernels read: xa·wq, xa·wk, xa·wv (rate1·v), xa·wf (f_conv) and rate2·dep_conv. */
export interface FusedWeights { wq: tf.Tensor2D; wk: tf.Tensor2D; wv: tf.Tensor2D; wf: tf.Tensor2D; dep: tf.Tensor3D }

/** Whether the fused path composes its weights natively. */
export function nativeComposeEnabled(): boolean {
  return process.env.ACMIX_LAB_ACMIX_COMPOSE !== '0';
}

/** The composed weights by native/composed_weights.cc, differentiable in every input. */
export function composeNative(w: ComposeInputs): FusedWeights {
  const inputs = COMPOSE_INPUTS.map((name) => w[name]);
  const [wq, wk, wv, wf, dep] = tapeNode(inputs, (save) => {
    save(inputs);
    return runNativeOp('composedWeights', {}, inputs, 5);
  }, (dys, saved) => runNativeOp('composedWeightsGrad', {}, [...saved, ...dys], inputs.length));
  return { wq, wk, wv, wf, dep } as FusedWeights;
}
