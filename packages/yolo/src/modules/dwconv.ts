// Ultralytics nn/modules/conv.py::DWConv(c1, c2, k=1, s=1, d=1, act=True): a Conv with
// groups = gcd(c1, c2) — depthwise when c1 divides c2 (YOLO11's Detect uses DWConv(x, x, 3)).
import { z } from 'zod';
import { convBlock, convModules } from './conv.js';
import { posInt, type ModuleDef } from './module.js';

type DWConvArgs = [c1: number, c2: number, k?: number, s?: number, d?: number, act?: boolean];

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export const DWConv: ModuleDef = {
  type: 'ultralytics.nn.modules.conv.DWConv',
  role: 'channels',
  args: z.tuple([posInt(), posInt().optional(), posInt().optional(), posInt().optional(), z.boolean().optional()]),
  argNames: ['c2', 'k', 's', 'd', 'act'],
  torchModules: (args) => convModules(args[5] as boolean | undefined),
  stride: (yamlArgs) => (yamlArgs[2] as number | undefined) ?? 1,
  build(ctx, [x], args) {
    const [c1, c2, k, s, d, act] = args as DWConvArgs;
    return { output: convBlock(ctx, x!, { c2, k, s, g: gcd(c1, c2), d, act }) };
  },
  // 8 → 16 (depthwise, multiplier 2), 16 → 24 (gcd 8: two inputs per group), 24 → 24 stride 2
  example: { ch: 8, layers: [[-1, 1, 'DWConv', [16, 3]], [-1, 1, 'DWConv', [24, 3]], [-1, 1, 'DWConv', [24, 5, 2, 1, false]]] },
};
