// ACmix (packages/acmix, the official LeapLabTHU module) as a yaml module. Args follow Conv's
// convention: [c2, kernel_att, head, kernel_conv, stride, dilation, rates], all optional; `[]` (or a
// null c2) keeps the input channels like the seed's registration (`args = [ch[f], ch[f]]`), a given
// c2 is scaled by width like Conv's. `rates` (learned | conv | attention | fixed) is the ablation of
// the two paths (packages/acmix). One layer named `model.<i>`; its state_dict keys (`conv1.weight`,
// …, `rate2`) sit under that prefix.
import { ACmix as ACmixLayer, ACMIX_DEFAULTS, ACMIX_RATES, acmixArgsProblem, type ACmixRates } from '@acmix-lab/acmix';
import { z } from 'zod';
import { posInt, type ModuleDef } from './module.js';

type ACmixArgs = [c1: number, c2: number, kernelAtt?: number, head?: number, kernelConv?: number, stride?: number, dilation?: number, rates?: ACmixRates];

const layerArgs = (args: readonly unknown[]) => {
  const [, outPlanes, kernelAtt, head, kernelConv, stride, dilation, rates] = args as ACmixArgs;
  return { outPlanes, kernelAtt, head, kernelConv, stride, dilation, rates };
};

/** The `rates` yaml arg, shared with C2f_ACmix. */
export const ratesArg = () => z.enum(ACMIX_RATES, { error: `rates must be one of ${ACMIX_RATES.join(', ')}` });

export const ACmix: ModuleDef = {
  type: 'ACmix',
  role: 'channels',
  c2Arg: 'optional',
  args: z.tuple([posInt().nullable().optional(), posInt().optional(), posInt().optional(), posInt().optional(),
    posInt().optional(), posInt().optional(), ratesArg().optional()]),
  argNames: ['c2', 'kernel_att', 'head', 'kernel_conv', 'stride', 'dilation', 'rates'],
  defaults: [null, ACMIX_DEFAULTS.kernelAtt, ACMIX_DEFAULTS.head, ACMIX_DEFAULTS.kernelConv, ACMIX_DEFAULTS.stride,
    ACMIX_DEFAULTS.dilation, ACMIX_DEFAULTS.rates],
  // ACmix, conv1..3, conv_p, pad_att, unfold, softmax, fc, dep_conv
  torchModules: () => 10,
  stride: (yamlArgs) => (yamlArgs[4] as number | undefined) ?? ACMIX_DEFAULTS.stride,
  validate: (args) => acmixArgsProblem(layerArgs(args)),
  build(ctx, [x], args) {
    return { output: ctx.apply(new ACmixLayer({ name: ctx.name(), ...layerArgs(args) }), x!) };
  },
  example: { ch: 8, layers: [[-1, 1, 'ACmix', []], [-1, 1, 'ACmix', [16, 3, 4, 3, 2, 1, 'conv']]] },
};
