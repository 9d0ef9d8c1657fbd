// Ultralytics nn/modules/conv.py::Concat(dimension=1): torch.cat along channels; parse_model
// gives it the sum of its inputs' channels. NCHW dimension 1 is the NHWC last axis.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { ModuleDef } from './module.js';

export const Concat: ModuleDef = {
  type: 'ultralytics.nn.modules.conv.Concat',
  role: 'concat',
  multiInput: true,
  args: z.tuple([z.literal(1, { error: 'only dimension 1 (channels) is supported' }).optional()]),
  argNames: ['dimension'],
  torchModules: () => 1,
  build(ctx, inputs) {
    return { output: ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name() }), inputs) };
  },
  example: { ch: 8, layers: [[-1, 1, 'Conv', [8, 3, 1]], [[-1, 0], 1, 'Concat', [1]]] },
};
