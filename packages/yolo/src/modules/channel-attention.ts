// Ultralytics nn/modules/conv.py::ChannelAttention(channels): x · σ(fc(pool(x))) with
// pool = AdaptiveAvgPool2d(1) and fc = Conv2d(channels, channels, 1, bias=True). (Not the CBAM paper's
// shared MLP over average and max pooling: this is what Ultralytics' CBAM uses.) Keeps its channels:
// yaml args `[]`, the input channels are inserted (ModuleDef c2Arg `none`).
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { GlobalAvgPool } from '../layers/global-avg-pool.js';
import { TorchConv2d } from '../layers/torch-conv2d.js';
import { sigmoidGate } from './gate.js';
import { channels, type ModuleContext, type ModuleDef } from './module.js';

export function channelAttention(ctx: ModuleContext, x: tf.SymbolicTensor): tf.SymbolicTensor {
  const pooled = ctx.apply(new GlobalAvgPool({ name: ctx.name('pool') }), x);
  const logits = ctx.apply(new TorchConv2d({ name: ctx.name('fc'), filters: channels(x), kernelSize: 1, useBias: true }), pooled);
  return sigmoidGate(ctx, x, logits);
}

export const ChannelAttention: ModuleDef = {
  type: 'ultralytics.nn.modules.conv.ChannelAttention',
  role: 'channels',
  c2Arg: 'none',
  args: z.tuple([]),
  argNames: [],
  torchModules: () => 4, // ChannelAttention, pool, fc, act
  build(ctx, [x]) {
    return { output: channelAttention(ctx, x!) };
  },
  example: { ch: 8, layers: [[-1, 1, 'ChannelAttention', []]] },
};
