// ACmix (packages/acmix, the official LeapLabTHU module) as a yaml module. Args follow Conv's
// convention: [c2, kernel_att, head, kernel_conv, stride, dilation], all optional; `[]` (or a null c2)
// keeps the input channels like the seed's registration (`args = [ch[f], ch[f]]`), a given c2 is
// scaled by width like Conv's. One layer named `model.<i>`; its state_dict keys (`conv1.weight`, …,
// `rate2`) sit under that prefix.
import { ACmix as ACmixLayer } from '@acmix-lab/acmix';
import { z } from 'zod';
import { posInt, type ModuleDef } from './module.js';

type ACmixArgs = [c1: number, c2: number, kernelAtt?: number, head?: number, kernelConv?: number, stride?: number, dilation?: number];

export const ACmix: ModuleDef = {
  type: 'ACmix',
  role: 'channels',
  optionalC2: true,
  args: z.tuple([posInt().nullable().optional(), posInt().optional(), posInt().optional(), posInt().optional(),
    posInt().optional(), posInt().optional()]),
  argNames: ['c2', 'kernel_att', 'head', 'kernel_conv', 'stride', 'dilation'],
  // ACmix, conv1..3, conv_p, pad_att, unfold, softmax, fc, dep_conv
  torchModules: () => 10,
  build(ctx, [x], args) {
    const [, outPlanes, kernelAtt, head, kernelConv, stride, dilation] = args as ACmixArgs;
    const layer = new ACmixLayer({ name: ctx.name(), outPlanes, kernelAtt, head, kernelConv, stride, dilation });
    return { output: ctx.apply(layer, x!) };
  },
  example: { ch: 8, layers: [[-1, 1, 'ACmix', []], [-1, 1, 'ACmix', [16, 3, 4, 3, 2]]] },
};
