// Ultralytics nn/modules/conv.py::SpatialAttention(kernel_size=7): x · σ(cv1(cat(mean_c(x), max_c(x))))
// with cv1 = Conv2d(2, 1, k, padding=3 if k == 7 else 1, bias=False), k ∈ {3, 7}. It takes no channels,
// so stock parse_model's `else` branch passes its yaml args unchanged ([7]) and keeps the channels.
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ChannelMeanMax } from '../layers/channel-mean-max.js';
import { TorchConv2d } from '../layers/torch-conv2d.js';
import { sigmoidGate } from './gate.js';
import type { ModuleContext, ModuleDef } from './module.js';

export type SpatialKernel = 3 | 7;
export const spatialKernel = () => z.union([z.literal(3), z.literal(7)], { error: 'kernel size must be 3 or 7' });

export function spatialAttention(ctx: ModuleContext, x: tf.SymbolicTensor, kernelSize: SpatialKernel): tf.SymbolicTensor {
  const pooled = ctx.apply(new ChannelMeanMax({ name: ctx.name('pool') }), x);
  const conv = new TorchConv2d({ name: ctx.name('cv1'), filters: 1, kernelSize, padding: kernelSize === 7 ? 3 : 1 });
  return sigmoidGate(ctx, x, ctx.apply(conv, pooled));
}

export const SpatialAttention: ModuleDef = {
  type: 'ultralytics.nn.modules.conv.SpatialAttention',
  role: 'same',
  args: z.tuple([spatialKernel().optional()]),
  argNames: ['kernel_size'],
  defaults: [7],
  torchModules: () => 3, // SpatialAttention, cv1, act
  build(ctx, [x], args) {
    return { output: spatialAttention(ctx, x!, (args[0] as SpatialKernel | undefined) ?? 7) };
  },
  example: { ch: 8, layers: [[-1, 1, 'SpatialAttention', []], [-1, 1, 'SpatialAttention', [3]]] },
};
