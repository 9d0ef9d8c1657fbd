// Efficient channel attention (Wang et al., CVPR 2020): x · σ(conv1d_k(avgpool(x))) across the channels,
// BangguWu/ECANet models/eca_module.py (Conv1d(1, 1, k, padding=(k − 1) // 2, bias=False)) with the
// paper's adaptive kernel k = ψ(C) = |log2(C)/γ + b/γ|_odd, γ = 2, b = 1, computed as the ECA-Net code
// does: t = int(|log2(C) + b| / γ), k = t if t is odd else t + 1 (C = 64 → 3, 256 → 5).
// Keeps its channels: yaml args [gamma, b] (`[]` for 2, 1), the input channels inserted.
// State-dict key `conv.weight` ([1, 1, k]).
import { z } from 'zod';
import { ChannelConv1d } from '../layers/channel-conv1d.js';
import { GlobalAvgPool } from '../layers/global-avg-pool.js';
import { sigmoidGate } from './gate.js';
import type { ModuleDef } from './module.js';

export function ecaKernelSize(channels: number, gamma = 2, b = 1): number {
  const t = Math.trunc(Math.abs((Math.log2(channels) + b) / gamma));
  return t % 2 === 1 ? t : t + 1;
}

export const ECA: ModuleDef = {
  type: 'ECA',
  role: 'channels',
  c2Arg: 'none',
  args: z.tuple([z.number().positive().optional(), z.number().optional()]),
  argNames: ['gamma', 'b'],
  defaults: [2, 1],
  torchModules: () => 4, // eca_layer, avg_pool, conv, sigmoid
  build(ctx, [x], args) {
    const [c, gamma = 2, b = 1] = args as [number, number?, number?];
    const pooled = ctx.apply(new GlobalAvgPool({ name: ctx.name('avg_pool') }), x!);
    const logits = ctx.apply(new ChannelConv1d({ name: ctx.name('conv'), kernelSize: ecaKernelSize(c, gamma, b) }), pooled);
    return { output: sigmoidGate(ctx, x!, logits) };
  },
  example: { ch: 64, layers: [[-1, 1, 'ECA', []], [-1, 1, 'ECA', [1, 2]]] },
};
