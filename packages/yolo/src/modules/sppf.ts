// Ultralytics nn/modules/block.py::SPPF(c1, c2, k=5): c_ = c1 // 2; cv1 = Conv(c1, c_, 1);
// three passes of one MaxPool2d(k, stride 1, padding k // 2) (`<prefix>.m`, a shared layer);
// cv2 = Conv(4c_, c2, 1) over the concatenation. TensorFlow's 'same' max pooling ignores the
// padding like PyTorch's implicit −inf padding.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { convBlock } from './conv.js';
import { channels, posInt, type ModuleDef } from './module.js';

type SppfArgs = [c1: number, c2: number, k?: number];

export const SPPF: ModuleDef = {
  type: 'ultralytics.nn.modules.block.SPPF',
  role: 'channels',
  args: z.tuple([posInt(), posInt().refine((k) => k % 2 === 1, 'k must be odd').optional()]),
  argNames: ['c2', 'k'],
  torchModules: () => 8, // SPPF, cv1, cv2, MaxPool2d
  build(ctx, [x], args) {
    const [, c2, k = 5] = args as SppfArgs;
    const y0 = convBlock(ctx.child('cv1'), x!, { c2: Math.floor(channels(x!) / 2), k: 1 });
    const pool = tf.layers.maxPooling2d({ poolSize: k, strides: 1, padding: 'same', name: ctx.name('m') });
    const parts = [y0];
    for (let j = 0; j < 3; j++) parts.push(ctx.apply(pool, parts[j]!));
    const cat = ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name('cat') }), parts);
    return { output: convBlock(ctx.child('cv2'), cat, { c2, k: 1 }) };
  },
  example: { ch: 16, layers: [[-1, 1, 'SPPF', [16, 5]]] },
};
