// The fused path's composed weights (the layer's composedWeights(), README.md "How it is computed") as one
// native op forward and one backward (native/composed_weights.cc) instead of ~30 and ~100 small TensorFlow
// ops per layer and batch. `ACMIX_LAB_ACMIX_COMPOSE=0` composes them from TensorFlow.js ops, as the
// fallback path always does. The folded route (qkv-conv.ts) composes its own set, fc folded into dep_conv.
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

/** What qkvConv reads: xa·wq, xa·wk, xa·wv (v, unscaled) and wc, fc folded into rate2·dep_conv. */
export interface FoldedWeights { wq: tf.Tensor2D; wk: tf.Tensor2D; wv: tf.Tensor2D; wc: tf.Tensor3D }

/**
 * Whether the fused path's conv path runs as qkvConv over q′, k, v (qkv-conv.ts) instead of dep_conv over
 * f_conv = xa·wf: `ACMIX_LAB_ACMIX_FOLDED_CONV=0` turns it off; it needs the native composition.
 */
export function foldedConvEnabled(): boolean {
  return process.env.ACMIX_LAB_ACMIX_FOLDED_CONV !== '0' && nativeComposeEnabled();
}

/** A composition op of native/composed_weights.cc and its gradient as one tape node. */
function compose(op: 'composedWeights' | 'foldedWeights', nOut: number, w: ComposeInputs): tf.Tensor[] {
  const inputs = COMPOSE_INPUTS.map((name) => w[name]);
  return tapeNode(inputs, (save) => {
    save(inputs);
    return runNativeOp(op, {}, inputs, nOut);
  }, (dys, saved) => runNativeOp(`${op}Grad` as const, {}, [...saved, ...dys], inputs.length));
}

/** The composed weights by native/composed_weights.cc, differentiable in every input. */
export function composeNative(w: ComposeInputs): FusedWeights {
  const [wq, wk, wv, wf, dep] = compose('composedWeights', 5, w);
  return { wq, wk, wv, wf, dep } as FusedWeights;
}

/** The folded route's weights by native/composed_weights.cc (ACmixFoldedWeights), differentiable in every input. */
export function composeFolded(w: ComposeInputs): FoldedWeights {
  const [wq, wk, wv, wc] = compose('foldedWeights', 4, w);
  return { wq, wk, wv, wc } as FoldedWeights;
}
