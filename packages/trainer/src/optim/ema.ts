// Exponential moving average of the model, as Ultralytics' utils/torch_utils.py::ModelEMA: a copy of
// the whole state (parameters and buffers such as BatchNorm running statistics) updated after every
// optimizer step with d = decay·(1 − exp(−updates/tau)):  v = d·v + (1 − d)·model.
// Only floating-point entries are averaged (torch's is_floating_point); integer entries stay at the
// copy taken at construction, as Ultralytics' EMA keeps num_batches_tracked. Validation and saved
// weights use this EMA.
import * as tf from '@tensorflow/tfjs';
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

export class ModelEMA {
  readonly decay: number;
  readonly tau: number;
  updates: number;
  /** The averaged state, by state_dict name, in the model's order. */
  private readonly values = new Map<string, tf.Variable>();

  /** Starts from a copy of `modelState` (every entry the EMA should track, e.g. all params and BN statistics). */
  constructor(modelState: tf.NamedTensorMap, options: EmaOptions = {}) {
    this.decay = options.decay ?? 0.9999;
    this.tau = options.tau ?? 2000;
    this.updates = options.updates ?? 0;
    for (const [name, t] of Object.entries(modelState)) this.values.set(name, tf.variable(t, false)); // shares t's data until the first assign
  }

  /** d after `updates` updates: decay·(1 − exp(−updates/tau)), small early so the EMA follows the model. */
  decayAt(updates: number): number {
    return this.decay * (1 - Math.exp(-updates / this.tau));
  }

  /** ModelEMA.update: called after each optimizer step with the model's current state. */
  update(modelState: tf.NamedTensorMap): void {
    this.checkKeys(modelState, 'update');
    for (const [name] of this.values) this.checkShape(name, modelState[name]!, 'update');
    this.updates += 1;
    const d = this.decayAt(this.updates);
    tf.tidy(() => {
      for (const [name, v] of this.values) {
        if (v.dtype === 'float32') v.assign(v.mul(d).add(modelState[name]!.mul(1 - d)));
      }
    });
  }

  /** The averaged state (live variables, not copies): read it, do not dispose it. */
  get state(): tf.NamedTensorMap {
    return Object.fromEntries(this.values);
  }

  /** Writes the EMA into an evaluation model's variables (same names); the EMA itself is unchanged. */
  copyTo(targets: Readonly<Record<string, tf.Variable>>): void {
    this.checkKeys(targets, 'copyTo');
    for (const [name, v] of this.values) {
      this.checkShape(name, targets[name]!, 'copyTo');
      targets[name]!.assign(v);
    }
  }

  /** Copies of the averaged state and the update count, for checkpoints. The caller disposes the tensors. */
  exportState(): EmaState {
    const state: tf.NamedTensorMap = {};
    for (const [name, v] of this.values) state[name] = v.clone();
    return { state, updates: this.updates };
  }

  /** Replaces the averaged state and update count (resume), checking names, shapes and dtypes. */
  importState(saved: EmaState): void {
    this.checkKeys(saved.state, 'importState');
    for (const [name] of this.values) this.checkShape(name, saved.state[name]!, 'importState');
    for (const [name, v] of this.values) v.assign(saved.state[name]!);
    this.updates = saved.updates;
  }

  dispose(): void {
    for (const v of this.values.values()) v.dispose();
    this.values.clear();
  }

  private checkKeys(other: Readonly<Record<string, tf.Tensor>>, op: string): void {
    const missing = [...this.values.keys()].filter((k) => !(k in other));
    const extra = Object.keys(other).filter((k) => !this.values.has(k));
    if (missing.length > 0 || extra.length > 0) {
      const list = (ks: string[]) => ks.slice(0, 3).map((k) => `"${k}"`).join(', ') + (ks.length > 3 ? ', …' : '');
      throw new OptimStateError(`ModelEMA.${op}: state names differ from the EMA's`
        + (missing.length ? `; missing ${missing.length}: ${list(missing)}` : '')
        + (extra.length ? `; unexpected ${extra.length}: ${list(extra)}` : ''));
    }
  }

  private checkShape(name: string, t: tf.Tensor, op: string): void {
    const v = this.values.get(name)!;
    if (t.dtype !== v.dtype || t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new OptimStateError(`ModelEMA.${op}: "${name}" is ${t.dtype} [${t.shape}], the EMA holds ${v.dtype} [${v.shape}]`);
    }
  }
}
