// Parameter groups as Ultralytics builds them (engine/trainer.py::build_optimizer, v8.1/v8.2).
//
// Ultralytics sorts every parameter into g[0] weights with decay, g[1] normalisation weights and g[2]
// biases, then constructs the torch optimizer on g[2] and adds g[0] and g[1] after it. So the
// optimizer's param_groups, and the results.csv columns lr/pg0..lr/pg2, are:
//   pg0 = biases (g[2], no decay; the group whose warmup lr starts at warmup_bias_lr),
//   pg1 = weights with decay (g[0]),
//   pg2 = BatchNorm weights (g[1], no decay).
// buildParamGroups returns the groups in that order.
import type * as tf from '@tensorflow/tfjs';
import { ParamGroupError } from './errors.js';

export type ParamKind = 'weight' | 'bn' | 'bias';

export interface TrainableParam {
  /** PyTorch state_dict name, e.g. `model.0.conv.weight`. */
  name: string;
  variable: tf.Variable;
  kind: ParamKind;
}

export interface ParamGroup {
  readonly kind: ParamKind;
  /** Whether the scaled weight decay applies (only the conv/linear weight group). */
  readonly decay: boolean;
  readonly params: readonly TrainableParam[];
}

/**
 * Ultralytics' rule: a parameter whose full name contains "bias" is a bias; otherwise one held
 * directly by a normalisation module (any torch.nn class with "Norm" in its name) is a BN weight;
 * anything else is a decayed weight. The rule looks at module type and name only, so a bare
 * Parameter of a custom module goes to the decay group: ACmix's rate1 and rate2 are decayed towards 0
 * with the conv weights, exactly as Ultralytics trains them.
 */
export function paramKind(fullName: string, inNormLayer: boolean): ParamKind {
  if (fullName.includes('bias')) return 'bias';
  return inNormLayer ? 'bn' : 'weight';
}

/** The three groups in torch param_groups order: [pg0 biases, pg1 decayed weights, pg2 BN weights]. */
export const PARAM_GROUP_KINDS: readonly [ParamKind, ParamKind, ParamKind] = ['bias', 'weight', 'bn'];

export function buildParamGroups(
  params: readonly TrainableParam[],
): readonly [ParamGroup, ParamGroup, ParamGroup] {
  const names = new Set<string>();
  const variables = new Set<tf.Variable>();
  for (const p of params) {
    if (names.has(p.name)) throw new ParamGroupError(`parameter "${p.name}" is listed twice`);
    // torch.optim refuses a tensor that appears in two groups; a shared variable would be stepped twice.
    if (variables.has(p.variable)) {
      throw new ParamGroupError(`parameter "${p.name}" shares its tf.Variable with another parameter`);
    }
    if (p.variable.dtype !== 'float32') {
      throw new ParamGroupError(`parameter "${p.name}" is ${p.variable.dtype}; only float32 parameters are trained`);
    }
    names.add(p.name);
    variables.add(p.variable);
  }
  const group = (kind: ParamKind): ParamGroup => ({
    kind, decay: kind === 'weight', params: params.filter((p) => p.kind === kind),
  });
  return [group(PARAM_GROUP_KINDS[0]), group(PARAM_GROUP_KINDS[1]), group(PARAM_GROUP_KINDS[2])];
}

/**
 * The gradient of `param` in a map keyed by tf.Variable name (what tf.variableGrads returns), or
 * undefined when there is none: torch optimizers skip a parameter whose .grad is None.
 */
export function gradOf(grads: tf.NamedTensorMap, param: TrainableParam, owner: string): tf.Tensor | undefined {
  const g = grads[param.variable.name];
  if (g === undefined) return undefined;
  const want = param.variable.shape;
  if (g.shape.length !== want.length || g.shape.some((d, i) => d !== want[i])) {
    throw new ParamGroupError(`${owner}: gradient of "${param.name}" has shape [${g.shape}], parameter is [${want}]`);
  }
  return g;
}
