// Ultralytics nn/modules/block.py::C3(c1, c2, n=1, shortcut=True, g=1, e=0.5): c_ = int(c2·e);
// cv3(cat(m(cv1(x)), cv2(x))) with cv1, cv2 = Conv(c1, c_, 1), cv3 = Conv(2c_, c2, 1) and
// m = n × Bottleneck(c_, c_, shortcut, g, k=(1, 3), e=1.0). C3k (c3k.ts) is this with 3×3 bottlenecks.
import * as tf from '@tensorflow/tfjs';
import { bottleneck, type BottleneckOptions } from './bottleneck.js';
import { convBlock } from './conv.js';
import { bottleneckStackArgs, type BottleneckStackArgs, type ModuleContext, type ModuleDef } from './module.js';

export interface C3Options {
  c2: number;
  n: number;
  shortcut: boolean;
  g?: number;
  e: number;
  /** The bottleneck kernels: (1, 3) for C3, (k, k) for C3k. */
  k: BottleneckOptions['k'];
}

export function c3(ctx: ModuleContext, x: tf.SymbolicTensor, o: C3Options): tf.SymbolicTensor {
  const hidden = Math.trunc(o.c2 * o.e);
  let a = convBlock(ctx.child('cv1'), x, { c2: hidden, k: 1 });
  for (let j = 0; j < o.n; j++) a = bottleneck(ctx.child(`m.${j}`), a, { c2: hidden, shortcut: o.shortcut, g: o.g, k: o.k, e: 1.0 });
  const b = convBlock(ctx.child('cv2'), x, { c2: hidden, k: 1 });
  const cat = ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name('cat') }), [a, b]);
  return convBlock(ctx.child('cv3'), cat, { c2: o.c2, k: 1 });
}

/** Modules of a C3 or C3k with n bottlenecks: itself, cv1..cv3, the Sequential, n Bottlenecks. */
export const c3Modules = (n: number) => 11 + 7 * n;

export const C3: ModuleDef = {
  type: 'ultralytics.nn.modules.block.C3',
  role: 'channels',
  repeats: true,
  ...bottleneckStackArgs,
  torchModules: (args) => c3Modules(args[2] as number),
  build(ctx, [x], args) {
    const [, c2, n, shortcut = true, g, e = 0.5] = args as BottleneckStackArgs;
    return { output: c3(ctx, x!, { c2, n, shortcut, g, e, k: [1, 3] }) };
  },
  example: { ch: 8, layers: [[-1, 2, 'C3', [16]], [-1, 1, 'C3', [16, false, 1, 0.25]], [-1, 1, 'C3', [16, true, 2]]] },
};
