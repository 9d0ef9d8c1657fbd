// Ultralytics nn/modules/block.py::Bottleneck(c1, c2, shortcut=True, g=1, k=(3, 3), e=0.5):
// cv1 = Conv(c1, c_, k[0]), cv2 = Conv(c_, c2, k[1], g=g) with c_ = int(c2·e); x + cv2(cv1(x)) when
// shortcut and c1 == c2.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { convBlock } from './conv.js';
import { channels, posInt, type ModuleContext, type ModuleDef } from './module.js';

export interface BottleneckOptions {
  c2: number;
  shortcut: boolean;
  g?: number;
  k: readonly [number, number];
  e: number;
}

/** The residual add of a bottleneck, named `<prefix>.add` (no weights). */
export function residual(ctx: ModuleContext, x: tf.SymbolicTensor, y: tf.SymbolicTensor, shortcut: boolean): tf.SymbolicTensor {
  return shortcut && channels(x) === channels(y) ? ctx.apply(tf.layers.add({ name: ctx.name('add') }), [x, y]) : y;
}

export function bottleneck(ctx: ModuleContext, x: tf.SymbolicTensor, o: BottleneckOptions): tf.SymbolicTensor {
  const hidden = Math.trunc(o.c2 * o.e);
  const y = convBlock(ctx.child('cv1'), x, { c2: hidden, k: o.k[0] });
  return residual(ctx, x, convBlock(ctx.child('cv2'), y, { c2: o.c2, k: o.k[1], g: o.g }), o.shortcut);
}

type BottleneckArgs = [c1: number, c2: number, shortcut?: boolean, g?: number, k?: [number, number], e?: number];

export const Bottleneck: ModuleDef = {
  type: 'ultralytics.nn.modules.block.Bottleneck',
  role: 'channels',
  args: z.tuple([posInt(), z.boolean().optional(), posInt().optional(), z.tuple([posInt(), posInt()]).optional(),
    z.number().positive().optional()]),
  argNames: ['c2', 'shortcut', 'g', 'k', 'e'],
  torchModules: () => 7, // Bottleneck + 2 Conv
  build(ctx, [x], args) {
    const [, c2, shortcut = true, g, k = [3, 3], e = 0.5] = args as BottleneckArgs;
    return { output: bottleneck(ctx, x!, { c2, shortcut, g, k, e }) };
  },
  example: { ch: 8, layers: [[-1, 1, 'Bottleneck', [8]], [-1, 1, 'Bottleneck', [16, false, 1, [1, 3], 1.0]],
    [-1, 1, 'Bottleneck', [16, true, 4]]] },
};
