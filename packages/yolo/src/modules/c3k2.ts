// Ultralytics nn/modules/block.py::C3k2(c1, c2, n=1, c3k=False, e=0.5, g=1, shortcut=True) (8.3, YOLO11):
// a C2f(c1, c2, n, shortcut, g, e) whose blocks are C3k(c, c, 2, shortcut, g) when c3k, else
// Bottleneck(c, c, shortcut, g) with that class's defaults k=(3, 3), e=0.5 (C2f's own use e=1.0).
// tasks.py::parse_model adds two rules: `if scale in "mlx": args[3] = True` (c3k forced on for the
// m/l/x scales; a yaml without scales has no scale, where Ultralytics fails and we force nothing),
// and `legacy = False`, which gives the model's Detect YOLO11's head (detect.ts).
import { z } from 'zod';
import { bottleneck } from './bottleneck.js';
import { c2f, type C2fInner } from './c2f.js';
import { c3Modules } from './c3.js';
import { c3k } from './c3k.js';
import { posInt, type ModuleDef } from './module.js';

type C3k2Args = [c1: number, c2: number, n: number, c3k?: boolean, e?: number, g?: number, shortcut?: boolean];

export const C3k2: ModuleDef = {
  type: 'ultralytics.nn.modules.block.C3k2',
  role: 'channels',
  repeats: true,
  clearsLegacy: true,
  args: z.tuple([posInt(), z.boolean().optional(), z.number().positive().optional(), posInt().optional(), z.boolean().optional()]),
  argNames: ['c2', 'c3k', 'e', 'g', 'shortcut'],
  scaleArgs(args, scale) {
    if (scale === null || !'mlx'.includes(scale)) return args;
    const forced = [...args];
    forced[3] = true;
    return forced;
  },
  // C2f part (itself, cv1, cv2, ModuleList) + n × (C3k with 2 bottlenecks, or a Bottleneck)
  torchModules: (args) => 8 + (args[2] as number) * (args[3] ? c3Modules(2) : 7),
  build(ctx, [x], args) {
    const [, c2, n, useC3k = false, e = 0.5, g, shortcut = true] = args as C3k2Args;
    const inner: C2fInner = (m, y, c) => (useC3k
      ? c3k(m, y, { c2: c, n: 2, shortcut, g })
      : bottleneck(m, y, { c2: c, shortcut, g, k: [3, 3], e: 0.5 }));
    return { output: c2f(ctx, x!, { c2, n, e }, inner) };
  },
  // With a Detect, which the C3k2 turns into YOLO11's head.
  example: {
    ch: 3, nc: 2,
    layers: [[-1, 1, 'Conv', [16, 3, 2]], [-1, 2, 'C3k2', [16, false, 0.25]], [-1, 1, 'Conv', [24, 3, 2]], [-1, 1, 'C3k2', [24, true]],
      [-1, 1, 'C3k2', [24, true, 0.5, 2, false]], [[1, 4], 1, 'Detect', ['nc']]],
  },
};
