// Squeeze-and-excitation (Hu et al., CVPR 2018) as YOLO necks paste it: the SELayer(channel,
// reduction=16) of moskomule/senet.pytorch (senet/se_module.py), x · σ(W2·ReLU(W1·avgpool(x))) with
// W1 = Linear(C, C // r, bias=False) and W2 = Linear(C // r, C, bias=False); the paper's r = 16.
// Keeps its channels: yaml args [reduction] (`[]` for 16), the input channels inserted.
// State-dict keys `fc.0.weight`, `fc.2.weight`.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { GlobalAvgPool } from '../layers/global-avg-pool.js';
import { TorchLinear } from '../layers/torch-linear.js';
import { sigmoidGate } from './gate.js';
import { posInt, type ModuleDef } from './module.js';

type SEArgs = [c1: number, reduction?: number];

export const SE: ModuleDef = {
  type: 'SE',
  role: 'channels',
  c2Arg: 'none',
  args: z.tuple([posInt().optional()]),
  argNames: ['reduction'],
  defaults: [16],
  torchModules: () => 7, // SELayer, avg_pool, fc Sequential (Linear, ReLU, Linear, Sigmoid)
  validate(args) {
    const [c, reduction = 16] = args as SEArgs;
    return Math.floor(c / reduction) < 1 ? `SE(${c}, reduction=${reduction}): the hidden width C // reduction is 0` : null;
  },
  build(ctx, [x], args) {
    const [c, reduction = 16] = args as SEArgs;
    const hidden = Math.floor(c / reduction);
    const pooled = ctx.apply(new GlobalAvgPool({ name: ctx.name('avg_pool') }), x!);
    const squeezed = ctx.apply(new TorchLinear({ name: ctx.name('fc.0'), units: hidden, useBias: false }), pooled);
    const relu = ctx.apply(tf.layers.reLU({ name: ctx.name('fc.1') }), squeezed);
    const excited = ctx.apply(new TorchLinear({ name: ctx.name('fc.2'), units: c, useBias: false }), relu);
    return { output: sigmoidGate(ctx, x!, excited) };
  },
  example: { ch: 32, layers: [[-1, 1, 'SE', []], [-1, 1, 'SE', [4]]] },
};
