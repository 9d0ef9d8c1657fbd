// Ultralytics nn/modules/conv.py::Conv: Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, bias=False)
// → BatchNorm2d(c2) → SiLU (act=False → nn.Identity, its own module). Layers: `<prefix>.conv` and `.bn`; the bn
// layer applies the SiLU too, so that training runs both as one fused op (act has no weights: no key changes).
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { TorchBatchNorm } from '../layers/torch-batchnorm.js';
import { TorchConv2d } from '../layers/torch-conv2d.js';
import { posInt, type ModuleContext, type ModuleDef } from './module.js';

export interface ConvOptions {
  c2: number;
  k?: number;
  s?: number;
  p?: number | null;
  g?: number;
  d?: number;
  act?: boolean;
}

/** conv.py::autopad: 'same' padding for the (dilated) kernel unless given. */
export function autopad(k: number, p: number | null | undefined, d = 1): number {
  if (p !== null && p !== undefined) return p;
  const eff = d > 1 ? d * (k - 1) + 1 : k;
  return Math.floor(eff / 2);
}

export function convBlock(ctx: ModuleContext, x: tf.SymbolicTensor, o: ConvOptions): tf.SymbolicTensor {
  const k = o.k ?? 1;
  const d = o.d ?? 1;
  const y = ctx.apply(new TorchConv2d({
    name: ctx.name('conv'), filters: o.c2, kernelSize: k, strides: o.s ?? 1, padding: autopad(k, o.p, d), dilation: d, groups: o.g,
  }), x);
  return ctx.apply(new TorchBatchNorm({ name: ctx.name('bn'), activation: (o.act ?? true) ? 'silu' : null }), y);
}

type ConvArgs = [c1: number, c2: number, k?: number, s?: number, p?: number | null, g?: number, d?: number, act?: boolean];

/** nn.Conv2d's check: groups must divide both channel counts. */
function groupsProblem(c1: number, c2: number, g = 1): string | null {
  return c1 % g === 0 && c2 % g === 0 ? null : `groups ${g} must divide c1 ${c1} and c2 ${c2}`;
}

/** Modules of one Conv in `model.modules()`: Conv, conv, bn, and an nn.Identity when act=False (SiLU is shared). */
export const convModules = (act = true) => (act ? 3 : 4);

export const Conv: ModuleDef = {
  type: 'ultralytics.nn.modules.conv.Conv',
  role: 'channels',
  args: z.tuple([posInt(), posInt().optional(), posInt().optional(), z.int().nonnegative().nullable().optional(),
    posInt().optional(), posInt().optional(), z.boolean().optional()]),
  argNames: ['c2', 'k', 's', 'p', 'g', 'd', 'act'],
  torchModules: (args) => convModules(args[7] as boolean | undefined),
  stride: (yamlArgs) => (yamlArgs[2] as number | undefined) ?? 1,
  validate: (args) => groupsProblem(args[0] as number, args[1] as number, args[5] as number | undefined),
  build(ctx, [x], args) {
    const [, c2, k, s, p, g, d, act] = args as ConvArgs;
    return { output: convBlock(ctx, x!, { c2, k, s, p, g, d, act }) };
  },
  example: {
    ch: 3,
    layers: [[-1, 1, 'Conv', [16, 3, 2]], [-1, 2, 'Conv', [16, 1, 1, null, 1, 1, false]], [-1, 1, 'Conv', [24, 3, 2, null, 8]]],
  },
};
