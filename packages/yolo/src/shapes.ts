// Concrete shapes of a functional graph for one input size, without running it: every symbolic
// tensor's shape follows from its source layer's computeOutputShape. Used for Detect strides
// (Ultralytics runs a 256×256 forward for the same numbers), anchor grids and FLOP counts.
import * as tf from '@tensorflow/tfjs';

export type ShapeMap = Map<number, number[]>;

export function concreteShapes(input: tf.SymbolicTensor, inputShape: number[], targets: tf.SymbolicTensor[]): ShapeMap {
  const memo: ShapeMap = new Map([[input.id, inputShape]]);
  const visit = (t: tf.SymbolicTensor): number[] => {
    const known = memo.get(t.id);
    if (known) return known;
    const ins = t.inputs.map(visit);
    const out = t.sourceLayer.computeOutputShape(ins.length === 1 ? ins[0]! : ins);
    const shape = (Array.isArray(out[0]) ? (out as tf.Shape[])[t.outputTensorIndex ?? 0]! : out) as number[];
    if (shape.some((d) => d == null)) throw new Error(`layer ${t.sourceLayer.name}: shape [${shape}] is not concrete`);
    memo.set(t.id, shape);
    return shape;
  };
  targets.forEach(visit);
  return memo;
}
