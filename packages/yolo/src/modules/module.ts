// What every yaml module provides to the registry, and the context its builder writes layers into.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { DetectHead } from './detect.js';

/**
 * How tasks.py::parse_model turns a module's yaml args into constructor args and output channels:
 * - `channels`: c1 = ch[f] is inserted first and c2 follows ModuleDef.c2Arg (args = [c1, c2, ...],
 *   or [c1, ...] for a module without a c2 arg); with `repeats` the repeat count is inserted as
 *   args[2] and the module is built once.
 * - `concat`: c2 = sum of the input channels.
 * - `detect`: [ch[x] for x in f] is appended to the args; the model's output head.
 * - `same`: c2 = ch[f], args unchanged (the `else` branch: nn.Upsample, SpatialAttention).
 */
export type ArgRole = 'channels' | 'concat' | 'detect' | 'same';

/**
 * A `channels` module's c2 (one rule for every module that takes c1):
 * - `required` (the default): args[0], scaled to make_divisible(min(c2, max_channels)·width, 8) unless
 *   it equals nc (Conv, C2f, C3k2, …);
 * - `optional`: the same when given; `[]` or None keeps the input channels, c2 = c1 (ACmix, as the
 *   seed registers it: `args = [ch[f], ch[f]]`);
 * - `none`: no c2 arg, the module keeps its channels: args = [c1, ...args] (CBAM, SE, ECA,
 *   ChannelAttention, as blog posts register them: `elif m in {CBAM}: args = [ch[f], *args]`).
 */
export type C2Arg = 'required' | 'optional' | 'none';

/** What parse_model knows about the whole model besides a module's own args. */
export interface ModelScope {
  /** Detect.legacy: true (v3/v5/v8 head) unless a module that clears it (C3k2) was parsed. */
  legacy: boolean;
}

export interface ModuleOutput {
  output: tf.SymbolicTensor;
  /** Detect only: the head, whose inference output and strides the model wires up. */
  detect?: DetectHead;
}

export interface ModuleDef {
  /** Type shown in the summary, as Ultralytics prints it (`str(m)[8:-2]`). */
  type: string;
  role: ArgRole;
  /** C2f/C3 style: receives the repeat count as args[2] (parse_model `args.insert(2, n)`). */
  repeats?: boolean;
  /** `channels` role: whether args[0] is c2 (C2Arg; default `required`). */
  c2Arg?: C2Arg;
  /** `from` must be a list of layers (Concat, Detect) rather than one layer. */
  multiInput?: boolean;
  /** parse_model sets `legacy = False` on meeting this module (C3k2), which selects YOLO11's Detect head. */
  clearsLegacy?: boolean;
  /** parse_model's rule for this module that depends on the scale, applied to the built args (C3k2's c3k). */
  scaleArgs?(args: unknown[], scale: string | null): unknown[];
  /** The yaml args after string evaluation, validated positionally. */
  args: z.ZodType<unknown[]>;
  /** Names of the yaml args, for error messages and for setting args by name (sweeps). */
  argNames: readonly string[];
  /**
   * The value each yaml arg takes when omitted (aligned with argNames; undefined = required), so an
   * arg set by name can be written positionally with the ones before it filled in.
   */
  defaults?: readonly unknown[];
  /**
   * Spatial stride of the output relative to the input, from the yaml args (strings evaluated,
   * before parse_model inserts c1): 2 for `Conv [64, 3, 2]`, 1/2 for a 2× upsample. Default 1.
   */
  stride?(yamlArgs: readonly unknown[]): number;
  /** A problem with the constructor args that the arg schema cannot see (e.g. c2 vs head), or null. */
  validate?(args: readonly unknown[]): string | null;
  /**
   * How many nn.Modules PyTorch's `model.modules()` yields for one instance (containers included,
   * the SiLU that every Conv shares counted by the model): Ultralytics' "N layers" total.
   */
  torchModules(args: readonly unknown[], scope: ModelScope): number;
  build(ctx: ModuleContext, inputs: tf.SymbolicTensor[], args: readonly unknown[], scope: ModelScope): ModuleOutput;
  /** A tiny model using this module, built and run by the registry-wide test. */
  example: { ch: number; nc?: number; layers: [number | number[], number, string, unknown[]][] };
}

/** Collects the tfjs layers of one yaml layer, named with Ultralytics' module prefixes. */
export class ModuleContext {
  constructor(readonly prefix: string, readonly layers: tf.layers.Layer[] = []) {}

  child(name: string | number): ModuleContext {
    return new ModuleContext(`${this.prefix}.${name}`, this.layers);
  }

  name(suffix?: string | number): string {
    return suffix === undefined ? this.prefix : `${this.prefix}.${suffix}`;
  }

  apply(layer: tf.layers.Layer, inputs: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
    if (!this.layers.includes(layer)) this.layers.push(layer);
    return layer.apply(inputs) as tf.SymbolicTensor;
  }
}

export function channels(x: tf.SymbolicTensor): number {
  const c = x.shape[x.shape.length - 1];
  if (typeof c !== 'number') throw new Error(`tensor ${x.name} has unknown channels`);
  return c;
}

/** Schema piece shared by the module arg tuples. */
export const posInt = () => z.int().positive();

/**
 * The yaml args of Ultralytics' bottleneck stacks C2, C2f and C3, `(c2, shortcut, g=1, e=0.5)` after c1 and
 * n (the layer's repeats); each module keeps its own shortcut default (C2f False, C2 and C3 True).
 */
export const bottleneckStackArgs = {
  args: z.tuple([posInt(), z.boolean().optional(), posInt().optional(), z.number().positive().optional()]),
  argNames: ['c2', 'shortcut', 'g', 'e'],
};
export type BottleneckStackArgs = [c1: number, c2: number, n: number, shortcut?: boolean, g?: number, e?: number];
