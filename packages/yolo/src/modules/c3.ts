// Ultralytics nn/modules/block.py::C3(c1, c2, n=1, shortcut=True, g=1, e=0.5): c_ = int(c2·e);
// cv3(cat(m(cv1(x)), cv2(x))) with cv1, cv2 = Conv(c1, c_, 1), cv3 = Conv(2c_, c2, 1) and
// m = n × Bottleneck(c_, c_, shortcut, k=(1, 3), e=1.0).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { bottleneck } from './bottleneck.js';
import { convBlock } from './conv.js';
import { groupsOne, posInt, type ModuleDef } from './module.js';

type C3Args = [c1: number, c2: number, n: number, shortcut?: boolean, g?: 1, e?: number];

export const C3: ModuleDef = {
  type: 'ultralytics.nn.modules.block.C3',
  role: 'channels',
  repeats: true,
  args: z.tuple([posInt(), z.boolean().optional(), groupsOne().optional(), z.number().positive().optional()]),
  argNames: ['c2', 'shortcut', 'g', 'e'],
  torchModules: (args) => 11 + 7 * (args[2] as number), // C3, cv1..cv3, Sequential, n Bottlenecks
  build(ctx, [x], args) {
    const [, c2, n, shortcut = true, , e = 0.5] = args as C3Args;
    const hidden = Math.trunc(c2 * e);
    let a = convBlock(ctx.child('cv1'), x!, { c2: hidden, k: 1 });
    for (let j = 0; j < n; j++) a = bottleneck(ctx.child(`m.${j}`), a, { c2: hidden, shortcut, k: [1, 3], e: 1.0 });
    const b = convBlock(ctx.child('cv2'), x!, { c2: hidden, k: 1 });
    const cat = ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name('cat') }), [a, b]);
    return { output: convBlock(ctx.child('cv3'), cat, { c2, k: 1 }) };
  },
  example: { ch: 8, layers: [[-1, 2, 'C3', [16]], [-1, 1, 'C3', [16, false, 1, 0.25]]] },
};
