// Ultralytics nn/modules/block.py::Attention(dim, num_heads=8, attn_ratio=0.5) (8.3): head_dim =
// dim // num_heads, key_dim = int(head_dim·attn_ratio); qkv = Conv(dim, dim + 2·key_dim·num_heads, 1,
// act=False), proj = Conv(dim, dim, 1, act=False), pe = Conv(dim, dim, 3, g=dim, act=False) (depthwise);
// forward: proj(attention(qkv(x)) + pe(v)) with the attention and v of layers/head-attention.ts.
import * as tf from '@tensorflow/tfjs';
import { HeadAttention } from '../layers/head-attention.js';
import { convBlock, convModules } from './conv.js';
import { channels, type ModuleContext } from './module.js';

export interface AttentionOptions {
  numHeads: number;
  attnRatio: number;
}

/** Modules of one Attention: itself and three act=False Convs. */
export const attentionModules = 1 + 3 * convModules(false);

export function psaAttention(ctx: ModuleContext, x: tf.SymbolicTensor, o: AttentionOptions): tf.SymbolicTensor {
  const dim = channels(x);
  const { numHeads } = o;
  if (!(numHeads >= 1) || dim % numHeads !== 0) {
    throw new Error(`Attention(${dim}, num_heads=${numHeads}): the channels must be a positive multiple of the heads`);
  }
  const headDim = dim / numHeads;
  const keyDim = Math.trunc(headDim * o.attnRatio);
  const qkv = convBlock(ctx.child('qkv'), x, { c2: dim + 2 * keyDim * numHeads, k: 1, act: false });
  const heads = (part: 'attention' | 'values') => ctx.apply(new HeadAttention({ name: ctx.name(part), numHeads, keyDim, headDim, part }), qkv);
  const pe = convBlock(ctx.child('pe'), heads('values'), { c2: dim, k: 3, g: dim, act: false });
  const sum = ctx.apply(tf.layers.add({ name: ctx.name('add') }), [heads('attention'), pe]);
  return convBlock(ctx.child('proj'), sum, { c2: dim, k: 1, act: false });
}
