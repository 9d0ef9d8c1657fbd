// Ultralytics nn/modules/block.py::C2f(c1, c2, n=1, shortcut=False, g=1, e=0.5):
// c = int(c2·e); y = cv1(x).chunk(2) (cv1 = Conv(c1, 2c, 1)); each m[j] = Bottleneck(c, c, shortcut,
// g, k=(3, 3), e=1.0) takes the last y; cv2 = Conv((2 + n)·c, c2, 1) over cat(y). Since both chunks
// are concatenated back in order, cat(chunk0, chunk1, …) = cat(cv1(x), …): only the second chunk
// is sliced out (`<prefix>.chunk1`).
import * as tf from '@tensorflow/tfjs';
import { ChannelSlice } from '../layers/channel-slice.js';
import { bottleneck } from './bottleneck.js';
import { convBlock } from './conv.js';
import { bottleneckStackArgs, type BottleneckStackArgs, type ModuleContext, type ModuleDef } from './module.js';

export interface C2fOptions {
  c2: number;
  n: number;
  e: number;
}

/** One m[j] block: maps the last chunk (c channels) to c channels. */
export type C2fInner = (ctx: ModuleContext, x: tf.SymbolicTensor, c: number) => tf.SymbolicTensor;

export function c2f(ctx: ModuleContext, x: tf.SymbolicTensor, o: C2fOptions, inner: C2fInner): tf.SymbolicTensor {
  const c = Math.trunc(o.c2 * o.e);
  const y0 = convBlock(ctx.child('cv1'), x, { c2: 2 * c, k: 1 });
  let last = ctx.apply(new ChannelSlice({ name: ctx.name('chunk1'), begin: c, size: c }), y0);
  const parts = [y0];
  for (let j = 0; j < o.n; j++) {
    last = inner(ctx.child(`m.${j}`), last, c);
    parts.push(last);
  }
  const cat = ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name('cat') }), parts);
  return convBlock(ctx.child('cv2'), cat, { c2: o.c2, k: 1 });
}

export const C2f: ModuleDef = {
  type: 'ultralytics.nn.modules.block.C2f',
  role: 'channels',
  repeats: true,
  ...bottleneckStackArgs,
  torchModules: (args) => 8 + 7 * (args[2] as number), // C2f, cv1, cv2, ModuleList, n Bottlenecks
  build(ctx, [x], args) {
    const [, c2, n, shortcut = false, g, e = 0.5] = args as BottleneckStackArgs;
    const inner: C2fInner = (m, y, c) => bottleneck(m, y, { c2: c, shortcut, g, k: [3, 3], e: 1.0 });
    return { output: c2f(ctx, x!, { c2, n, e }, inner) };
  },
  example: { ch: 8, layers: [[-1, 2, 'C2f', [16, true]], [-1, 1, 'C2f', [8]]] },
};
