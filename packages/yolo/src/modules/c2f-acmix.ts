// C2f_ACmix: the seed's third placement, ACmix "inside the residual connections". Exactly a C2f
// (block.py::C2f, e = 0.5) whose bottlenecks replace their second 3×3 Conv (conv + BN + SiLU) by
// ACmix(c, c, kernel_att, head, rates=rates), keeping the residual add:
//   m[j](y) = y + ACmix(Conv(c, c, 3)(y))   (add only when shortcut, as in Bottleneck)
// yaml args [c2, shortcut=False, kernel_att=7, head=4, rates='learned']; c = int(c2 / 2) must be
// divisible by head. Parameters: C2f(c1, c2, n) − n·(9c² + 2c) + n·acmixParamCount(c, c, head),
// where 9c² + 2c is the replaced Conv(c, c, 3) with its BatchNorm. State-dict keys:
// `model.<i>.m.<j>.cv1.{conv,bn}.*`, `model.<i>.m.<j>.cv2.{conv1,…,rate2}`.
import { ACmix as ACmixLayer, ACMIX_DEFAULTS, acmixArgsProblem, type ACmixRates } from '@acmix-lab/acmix';
import { z } from 'zod';
import { ratesArg } from './acmix.js';
import { residual } from './bottleneck.js';
import { c2f, type C2fInner } from './c2f.js';
import { convBlock } from './conv.js';
import { posInt, type ModuleDef } from './module.js';

type C2fACmixArgs = [c1: number, c2: number, n: number, shortcut?: boolean, kernelAtt?: number, head?: number, rates?: ACmixRates];

/** The ACmix of each bottleneck: c = int(c2 · 0.5) channels in and out. */
const innerArgs = (args: readonly unknown[]) => {
  const [, c2, , , kernelAtt, head, rates] = args as C2fACmixArgs;
  return { outPlanes: Math.trunc(c2 * 0.5), kernelAtt, head, rates };
};

export const C2f_ACmix: ModuleDef = {
  type: 'C2f_ACmix',
  role: 'channels',
  repeats: true,
  args: z.tuple([posInt(), z.boolean().optional(), posInt().optional(), posInt().optional(), ratesArg().optional()]),
  argNames: ['c2', 'shortcut', 'kernel_att', 'head', 'rates'],
  defaults: [undefined, false, ACMIX_DEFAULTS.kernelAtt, ACMIX_DEFAULTS.head, ACMIX_DEFAULTS.rates],
  torchModules: (args) => 8 + 14 * (args[2] as number), // C2f part + n × (bottleneck, Conv, ACmix)
  validate: (args) => acmixArgsProblem(innerArgs(args)),
  build(ctx, [x], args) {
    const [, c2, n, shortcut = false] = args as C2fACmixArgs;
    const acmix = innerArgs(args);
    const inner: C2fInner = (m, y, c) => {
      const a = convBlock(m.child('cv1'), y, { c2: c, k: 3 });
      const b = m.apply(new ACmixLayer({ ...acmix, name: m.name('cv2'), outPlanes: c }), a);
      return residual(m, y, b, shortcut);
    };
    return { output: c2f(ctx, x!, { c2, n, e: 0.5 }, inner) };
  },
  example: { ch: 8, layers: [[-1, 2, 'C2f_ACmix', [16, true, 3, 2, 'attention']]] },
};
