// x · σ(weights): how every attention module here reweights its input (`<prefix>.act` is the
// nn.Sigmoid; the product broadcasts [B, 1, 1, C] channel or [B, H, W, 1] spatial weights).
import * as tf from '@tensorflow/tfjs';
import type { ModuleContext } from './module.js';

export function sigmoidGate(ctx: ModuleContext, x: tf.SymbolicTensor, logits: tf.SymbolicTensor): tf.SymbolicTensor {
  const weights = ctx.apply(tf.layers.activation({ activation: 'sigmoid', name: ctx.name('act') }), logits);
  return ctx.apply(tf.layers.multiply({ name: ctx.name('mul') }), [x, weights]);
}
