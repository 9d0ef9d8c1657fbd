// Ultralytics nn/modules/block.py::C3k(c1, c2, n=1, shortcut=True, g=1, e=0.5, k=3): a C3 whose
// bottlenecks are Bottleneck(c_, c_, shortcut, g, k=(k, k), e=1.0). It is C3k2's inner block (c3k=True),
// not a yaml module: parse_model has no branch for it (it would receive its yaml args unchanged).
import type * as tf from '@tensorflow/tfjs';
import { c3 } from './c3.js';
import type { ModuleContext } from './module.js';

export interface C3kOptions {
  c2: number;
  n: number;
  shortcut: boolean;
  g?: number;
  e?: number;
  k?: number;
}

export function c3k(ctx: ModuleContext, x: tf.SymbolicTensor, o: C3kOptions): tf.SymbolicTensor {
  const k = o.k ?? 3;
  return c3(ctx, x, { c2: o.c2, n: o.n, shortcut: o.shortcut, g: o.g, e: o.e ?? 0.5, k: [k, k] });
}
