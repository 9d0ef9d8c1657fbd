// Ultralytics nn/modules/conv.py::CBAM(c1, kernel_size=7) (Woo et al., 2018, as Ultralytics implements
// it): spatial_attention(channel_attention(x)) with ChannelAttention(c1) and SpatialAttention(kernel_size).
// Keeps its channels like ACmix: yaml args [kernel_size] (`[]` for 7), the input channels inserted as c1.
// State-dict keys `channel_attention.fc.{weight,bias}`, `spatial_attention.cv1.weight`.
import { z } from 'zod';
import { channelAttention } from './channel-attention.js';
import type { ModuleDef } from './module.js';
import { spatialAttention, spatialKernel, type SpatialKernel } from './spatial-attention.js';

export const CBAM: ModuleDef = {
  type: 'ultralytics.nn.modules.conv.CBAM',
  role: 'channels',
  c2Arg: 'none',
  args: z.tuple([spatialKernel().optional()]),
  argNames: ['kernel_size'],
  defaults: [7],
  torchModules: () => 1 + 4 + 3, // CBAM, ChannelAttention (pool, fc, act), SpatialAttention (cv1, act)
  build(ctx, [x], args) {
    const kernelSize = (args[1] as SpatialKernel | undefined) ?? 7;
    return { output: spatialAttention(ctx.child('spatial_attention'), channelAttention(ctx.child('channel_attention'), x!), kernelSize) };
  },
  example: { ch: 8, layers: [[-1, 1, 'CBAM', []], [-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'CBAM', [3]]] },
};
