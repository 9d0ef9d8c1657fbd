// Ultralytics nn/modules/block.py::PSABlock(c, attn_ratio=0.5, num_heads=4, shortcut=True) (8.3):
// x = x + attn(x); x = x + ffn(x) with attn = Attention(c, num_heads, attn_ratio) and
// ffn = Sequential(Conv(c, 2c, 1), Conv(2c, c, 1, act=False)); without shortcut the adds are dropped.
import * as tf from '@tensorflow/tfjs';
import { convBlock, convModules } from './conv.js';
import { channels, type ModuleContext } from './module.js';
import { attentionModules, psaAttention, type AttentionOptions } from './psa-attention.js';

/** Modules of one PSABlock: itself, its Attention, the ffn Sequential and its two Convs. */
export const psaBlockModules = 1 + attentionModules + 1 + convModules() + convModules(false);

export function psaBlock(ctx: ModuleContext, x: tf.SymbolicTensor, o: AttentionOptions & { shortcut: boolean }): tf.SymbolicTensor {
  const c = channels(x);
  const add = (name: string, a: tf.SymbolicTensor, b: tf.SymbolicTensor) =>
    (o.shortcut ? ctx.apply(tf.layers.add({ name: ctx.name(name) }), [a, b]) : b);
  const y = add('attn_add', x, psaAttention(ctx.child('attn'), x, o));
  const hidden = convBlock(ctx.child('ffn.0'), y, { c2: 2 * c, k: 1 });
  return add('ffn_add', y, convBlock(ctx.child('ffn.1'), hidden, { c2: c, k: 1, act: false }));
}
