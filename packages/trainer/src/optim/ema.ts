// Exponential moving average of the model, as Ultralytics' utils/torch_utils.py::ModelEMA: a copy of
// the whole state (parameters and buffers such as BatchNorm running statistics) updated after every
// optimizer step with d = decay·(1 − exp(−updates/tau)):  v = d·v + (1 − d)·model.
// Only floating-point entries are averaged (torch's is_floating_point); integer entries stay at the
// copy taken at construction, as Ultralytics' EMA keeps num_batches_tracked. Validation and saved
// weights use this EMA. The averaged entries are held as one flat tensor (concatFlat), so an update is
// three elementwise ops over the whole model rather than three per entry, with the same values.
import * as tf from '@tensorflow/tfjs';
import { concatFlat, splitFlat } from '@acmix-lab/acmix';
import { OptimStateError } from './errors.js';

export interface EmaOptions {
  /** Default 0.9999. */
  decay?: number;
  /** Default 2000 updates. */
  tau?: number;
  /** Updates already made (when resuming); default 0. */
  updates?: number;
}

export interface EmaState {
  state: tf.NamedTensorMap;
  updates: number;
}

interface Entry {
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

export class ModelEMA {
  readonly decay: number;
  readonly tau: number;
  updates: number;
  /** Every entry by state_dict name, in the model's order. */
  private readonly entries = new Map<string, Entry>();
  /** The float32 entries, averaged, end to end in `entries` order (concatFlat): one update is three ops. */
  private readonly averagedNames: string[] = [];
  private averaged: tf.Tensor | undefined;
  /** The other entries (integer, e.g. num_batches_tracked): the copy taken at construction or import. */
  private readonly fixed = new Map<string, tf.Variable>();
  /** `averaged` split by name, made when read and dropped at the next change. */
  private pieces: tf.NamedTensorMap | undefined;

  /** Starts from a copy of `modelState` (every entry the EMA should track, e.g. all params and BN statistics). */
  constructor(modelState: tf.NamedTensorMap, options: EmaOptions = {}) {
    this.decay = options.decay ?? 0.9999;
    this.tau = options.tau ?? 2000;
    this.updates = options.updates ?? 0;
    for (const [name, t] of Object.entries(modelState)) {
      this.entries.set(name, { shape: t.shape, dtype: t.dtype });
      if (t.dtype === 'float32') this.averagedNames.push(name);
      else this.fixed.set(name, tf.variable(t, false)); // shares t's data until an import assigns
    }
    this.averaged = this.flatten(modelState);
  }

  /** d after `updates` updates: decay·(1 − exp(−updates/tau)), small early so the EMA follows the model. */
  decayAt(updates: number): number {
    return this.decay * (1 - Math.exp(-updates / this.tau));
  }

  /** ModelEMA.update: called after each optimizer step with the model's current state. */
  update(modelState: tf.NamedTensorMap): void {
    this.check(modelState, 'update');
    this.updates += 1;
    const d = this.decayAt(this.updates);
    const model = this.flatten(modelState);
    if (model === undefined) return;
    this.replace(tf.tidy(() => this.averaged!.mul(d).add(model.mul(1 - d))));
    model.dispose();
  }

  /** The EMA's state by name, owned by the EMA and valid until its next update or import: read it, do not dispose it. */
  get state(): tf.NamedTensorMap {
    if (this.pieces === undefined) {
      const split = this.averaged && splitFlat(this.averaged, this.averagedNames.map((n) => this.entries.get(n)!.shape));
      this.pieces = Object.fromEntries(this.averagedNames.map((n, i) => [n, split![i]!]));
    }
    return Object.fromEntries([...this.entries.keys()].map((n) => [n, this.pieces![n] ?? this.fixed.get(n)!]));
  }

  /** Writes the EMA into an evaluation model's variables (same names); the EMA itself is unchanged. */
  copyTo(targets: Readonly<Record<string, tf.Variable>>): void {
    this.check(targets, 'copyTo');
    for (const [name, t] of Object.entries(this.state)) targets[name]!.assign(t);
  }

  /** Copies of the averaged state and the update count, for checkpoints. The caller disposes the tensors. */
  exportState(): EmaState {
    return { state: Object.fromEntries(Object.entries(this.state).map(([n, t]) => [n, t.clone()])), updates: this.updates };
  }

  /** Replaces the averaged state and update count (resume), checking names, shapes and dtypes. */
  importState(saved: EmaState): void {
    this.check(saved.state, 'importState');
    this.replace(this.flatten(saved.state));
    for (const [name, v] of this.fixed) v.assign(saved.state[name]!);
    this.updates = saved.updates;
  }

  dispose(): void {
    this.replace(undefined);
    for (const v of this.fixed.values()) v.dispose();
    this.fixed.clear();
  }

  /** The float32 entries of `state`, end to end in the EMA's order (a new tensor); undefined when there are none. */
  private flatten(state: tf.NamedTensorMap): tf.Tensor | undefined {
    return this.averagedNames.length > 0 ? concatFlat(this.averagedNames.map((n) => state[n]!)) : undefined;
  }

  private replace(averaged: tf.Tensor | undefined): void {
    this.averaged?.dispose();
    if (this.pieces !== undefined) tf.dispose(Object.values(this.pieces));
    this.pieces = undefined;
    this.averaged = averaged;
  }

  /** Same names, shapes and dtypes as the EMA's entries. */
  private check(other: Readonly<Record<string, tf.Tensor>>, op: string): void {
    const missing = [...this.entries.keys()].filter((k) => !(k in other));
    const extra = Object.keys(other).filter((k) => !this.entries.has(k));
    if (missing.length > 0 || extra.length > 0) {
      const list = (ks: string[]) => ks.slice(0, 3).map((k) => `"${k}"`).join(', ') + (ks.length > 3 ? ', …' : '');
      throw new OptimStateError(`ModelEMA.${op}: state names differ from the EMA's`
        + (missing.length ? `; missing ${missing.length}: ${list(missing)}` : '')
        + (extra.length ? `; unexpected ${extra.length}: ${list(extra)}` : ''));
    }
    for (const [name, e] of this.entries) {
      const t = other[name]!;
      if (t.dtype !== e.dtype || t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
        throw new OptimStateError(`ModelEMA.${op}: "${name}" is ${t.dtype} [${t.shape}], the EMA holds ${e.dtype} [${e.shape}]`);
      }
    }
  }
}
