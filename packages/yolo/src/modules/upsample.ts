// torch.nn.Upsample(size=None, scale_factor, mode='nearest') as Ultralytics yamls use it
// (`[None, 2, 'nearest']`). Nearest with an integer factor repeats pixels, which is what tfjs'
// UpSampling2D computes (source index floor(o / factor) on both sides).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { posInt, type ModuleDef } from './module.js';

export const Upsample: ModuleDef = {
  type: 'torch.nn.modules.upsampling.Upsample',
  role: 'same',
  args: z.tuple([
    z.null({ error: 'size is not supported; give None and a scale_factor' }),
    posInt(),
    z.literal('nearest', { error: "only mode 'nearest' is supported" }).optional(),
  ]),
  argNames: ['size', 'scale_factor', 'mode'],
  torchModules: () => 1,
  stride: (yamlArgs) => 1 / (yamlArgs[1] as number),
  build(ctx, [x], args) {
    const factor = args[1] as number;
    return { output: ctx.apply(tf.layers.upSampling2d({ size: [factor, factor], interpolation: 'nearest', name: ctx.name() }), x!) };
  },
  example: { ch: 8, layers: [[-1, 1, 'nn.Upsample', ['None', 2, 'nearest']]] },
};
