// A parameter group's per-parameter tensors (gradients, their sums, momentum buffers, Adam moments) laid
// end to end in one 1-D tensor, in the group's parameter order. The optimizers, the accumulator and the
// clip work on these: a step is a handful of elementwise ops per group instead of several per parameter
// (each op costs a dispatch however small its tensor; YOLOv8n has ~190 parameters). Elementwise ops give
// every element the same result whether it sits in a flat tensor or in its own, so the trajectories are
// those of the per-parameter formulation. Checkpoints keep one named tensor per parameter.
import * as tf from '@tensorflow/tfjs';
import { concatFlat, splitFlat } from '@acmix-lab/acmix';
import { OptimStateError } from './errors.js';
import { gradOf, type TrainableParam } from './groups.js';
import { hasStateTensor } from './state.js';

/** One tensor per parameter of `params`, end to end. The holder owns `flat`. */
export interface FlatTensors {
  readonly params: readonly TrainableParam[];
  readonly flat: tf.Tensor;
}

/** The gradients of those `params` that have one in `grads` (keyed by tf.Variable name), flat; undefined when none has. */
export function flatGrads(params: readonly TrainableParam[], grads: tf.NamedTensorMap, owner: string): FlatTensors | undefined {
  const withGrad = params.filter((p) => gradOf(grads, p, owner) !== undefined);
  if (withGrad.length === 0) return undefined;
  return { params: withGrad, flat: concatFlat(withGrad.map((p) => grads[p.variable.name]!)) };
}

/** The current values of the parameters' variables, flat (a new tensor). */
export function flatValues(params: readonly TrainableParam[]): tf.Tensor {
  return concatFlat(params.map((p) => p.variable));
}

/** Writes `flat` (laid out as `params`) into the parameters' variables; Variable.assign runs no kernel. */
export function assignFlat(params: readonly TrainableParam[], flat: tf.Tensor): void {
  const pieces = splitFlat(flat, params.map((p) => p.variable.shape));
  params.forEach((p, i) => p.variable.assign(pieces[i]!));
  tf.dispose(pieces); // the variables hold their own references
}

/** Adds one new tensor per parameter to `out`, keyed `<parameter name><suffix>`. */
export function exportFlat(held: FlatTensors, suffix: string, out: tf.NamedTensorMap): void {
  const pieces = splitFlat(held.flat, held.params.map((p) => p.variable.shape));
  held.params.forEach((p, i) => { out[p.name + suffix] = pieces[i]!; });
}

/**
 * The parameters of `params` that have a `<name><suffix>` entry in `state` (shape and dtype checked) and
 * those entries flat; undefined when none has. Checks everything before copying anything.
 */
export function importFlat(params: readonly TrainableParam[], state: tf.NamedTensorMap, suffix: string, owner: string): FlatTensors | undefined {
  const present = params.filter((p) => hasStateTensor(state, p.name + suffix, p.variable.shape, 'float32', owner));
  if (present.length === 0) return undefined;
  return { params: present, flat: concatFlat(present.map((p) => state[p.name + suffix]!)) };
}

/**
 * importFlat for each group, after checking every group's entries, so that a wrong entry throws before
 * anything is copied (the caller then swaps the result in for its state).
 */
export function importFlatGroups(groups: readonly (readonly TrainableParam[])[], state: tf.NamedTensorMap, suffix: string, owner: string): (FlatTensors | undefined)[] {
  for (const p of groups.flat()) hasStateTensor(state, p.name + suffix, p.variable.shape, 'float32', owner);
  return groups.map((params) => importFlat(params, state, suffix, owner));
}

/**
 * Flat state covers the parameters that had a gradient when it was made; it can only be combined with
 * gradients of the same parameters. torch would step a changed set per parameter; a YOLO graph
 * differentiates the same parameters in every batch, so a change means a different model.
 */
export function requireSameParams(held: FlatTensors, params: readonly TrainableParam[], owner: string): void {
  if (held.params.length === params.length && held.params.every((p, i) => p === params[i])) return;
  const names = (ps: readonly TrainableParam[]) => ps.slice(0, 3).map((p) => `"${p.name}"`).join(', ') + (ps.length > 3 ? ', …' : '');
  throw new OptimStateError(`${owner}: the parameters with a gradient (${params.length}: ${names(params)}) are not the ${held.params.length} `
    + `its state covers (${names(held.params)}); every step must differentiate the same parameters`);
}
