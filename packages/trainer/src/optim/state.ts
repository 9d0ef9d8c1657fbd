// Checkpoint state of the optimizers, the EMA and the gradient accumulator as plain named tensors.
// Keys use the parameter's PyTorch-style name (`model.0.conv.weight.momentum_buffer`), never the
// tf.Variable's engine name, which differs from one process to the next: a resumed run maps by name.
import type * as tf from '@tensorflow/tfjs';
import { OptimStateError } from './errors.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Whether `state[key]` exists, after checking it against the expected shape and dtype. Importers check
 * every entry first and copy afterwards, so a bad checkpoint leaves the old state untouched.
 */
export function hasStateTensor(
  state: tf.NamedTensorMap, key: string, shape: readonly number[], dtype: tf.DataType, owner: string,
): boolean {
  const t = state[key];
  if (t === undefined) return false;
  if (t.dtype !== dtype || !sameShape(t.shape, shape)) {
    throw new OptimStateError(
      `${owner}: state "${key}" is ${t.dtype} [${t.shape}] but the parameter needs ${dtype} [${shape}]`);
  }
  return true;
}

/** The integer held by a scalar int32 state tensor (step and update counts); check it first. */
export function stateCount(state: tf.NamedTensorMap, key: string): number {
  return state[key]!.dataSync()[0]!;
}

/** Rejects keys that no parameter accounts for: state saved from a different model or optimizer. */
export function rejectUnknownKeys(state: tf.NamedTensorMap, known: ReadonlySet<string>, owner: string): void {
  const unknown = Object.keys(state).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((k) => `"${k}"`).join(', ');
    throw new OptimStateError(
      `${owner}: state has ${unknown.length} key(s) that match no parameter (${shown}${unknown.length > 3 ? ', …' : ''})`);
  }
}
