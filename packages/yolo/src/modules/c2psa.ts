// Ultralytics nn/modules/block.py::C2PSA(c1, c2, n=1, e=0.5) (8.3, YOLO11's layer 10): c1 == c2,
// c = int(c1·e); a, b = cv1(x).split((c, c)) (cv1 = Conv(c1, 2c, 1)); b = m(b) with
// m = n × PSABlock(c, attn_ratio=0.5, num_heads=c // 64); cv2(cat(a, b)) (cv2 = Conv(2c, c1, 1)).
// parse_model treats it like C2f: channel scaling and the repeat count as args[2].
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ChannelSlice } from '../layers/channel-slice.js';
import { convBlock } from './conv.js';
import { posInt, type ModuleDef } from './module.js';
import { psaBlock, psaBlockModules } from './psa-block.js';

type C2PSAArgs = [c1: number, c2: number, n: number, e?: number];

export const C2PSA: ModuleDef = {
  type: 'ultralytics.nn.modules.block.C2PSA',
  role: 'channels',
  repeats: true,
  args: z.tuple([posInt(), z.number().positive().optional()]),
  argNames: ['c2', 'e'],
  torchModules: (args) => 8 + psaBlockModules * (args[2] as number), // C2PSA, cv1, cv2, Sequential, n PSABlocks
  validate(args) {
    const [c1, c2, , e = 0.5] = args as C2PSAArgs;
    const c = Math.trunc(c1 * e);
    if (c1 !== c2) return `C2PSA needs c1 == c2 (got ${c1} → ${c2})`;
    return c < 64 ? `C2PSA(${c1}, e=${e}): c = ${c} gives num_heads = c // 64 = 0; it needs c1·e ≥ 64` : null;
  },
  build(ctx, [x], args) {
    const [c1, , n, e = 0.5] = args as C2PSAArgs;
    const c = Math.trunc(c1 * e);
    const y = convBlock(ctx.child('cv1'), x!, { c2: 2 * c, k: 1 });
    const a = ctx.apply(new ChannelSlice({ name: ctx.name('split0'), begin: 0, size: c }), y);
    let b = ctx.apply(new ChannelSlice({ name: ctx.name('split1'), begin: c, size: c }), y);
    for (let j = 0; j < n; j++) b = psaBlock(ctx.child(`m.${j}`), b, { numHeads: Math.floor(c / 64), attnRatio: 0.5, shortcut: true });
    const cat = ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name('cat') }), [a, b]);
    return { output: convBlock(ctx.child('cv2'), cat, { c2: c1, k: 1 }) };
  },
  // c = 64 (one head) twice, then c = 160 (two heads of 80 channels, key_dim 40)
  example: { ch: 8, layers: [[-1, 1, 'Conv', [128, 1, 1]], [-1, 2, 'C2PSA', [128]], [-1, 1, 'Conv', [160, 1, 1]], [-1, 1, 'C2PSA', [160, 1.0]]] },
};
