// Ultralytics nn/modules/block.py::C2(c1, c2, n=1, shortcut=True, g=1, e=0.5) (the neck of yolov8-p6.yaml):
// c = int(c2·e); a, b = cv1(x).chunk(2) (cv1 = Conv(c1, 2c, 1)); cv2(cat(m(a), b)) with
// cv2 = Conv(2c, c2, 1) and m = n × Bottleneck(c, c, shortcut, g, k=(3, 3), e=1.0) in sequence.
import * as tf from '@tensorflow/tfjs';
import { ChannelSlice } from '../layers/channel-slice.js';
import { bottleneck } from './bottleneck.js';
import { convBlock } from './conv.js';
import { bottleneckStackArgs, type BottleneckStackArgs, type ModuleDef } from './module.js';

export const C2: ModuleDef = {
  type: 'ultralytics.nn.modules.block.C2',
  role: 'channels',
  repeats: true,
  ...bottleneckStackArgs,
  torchModules: (args) => 8 + 7 * (args[2] as number), // C2, cv1, cv2, Sequential, n Bottlenecks
  build(ctx, [x], args) {
    const [, c2, n, shortcut = true, g, e = 0.5] = args as BottleneckStackArgs;
    const c = Math.trunc(c2 * e);
    const y = convBlock(ctx.child('cv1'), x!, { c2: 2 * c, k: 1 });
    let a = ctx.apply(new ChannelSlice({ name: ctx.name('chunk0'), begin: 0, size: c }), y);
    const b = ctx.apply(new ChannelSlice({ name: ctx.name('chunk1'), begin: c, size: c }), y);
    for (let j = 0; j < n; j++) a = bottleneck(ctx.child(`m.${j}`), a, { c2: c, shortcut, g, k: [3, 3], e: 1.0 });
    const cat = ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name('cat') }), [a, b]);
    return { output: convBlock(ctx.child('cv2'), cat, { c2, k: 1 }) };
  },
  example: { ch: 8, layers: [[-1, 2, 'C2', [16]], [-1, 1, 'C2', [16, false, 2, 0.25]]] },
};
