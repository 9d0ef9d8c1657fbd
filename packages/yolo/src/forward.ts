// The parity forward behind `acmix-lab forward`: run a yaml model with PyTorch weights on a PyTorch
// input and write the output (and gradients) in PyTorch layouts, for comparison with a reference.
//   input  X: `input` NCHW f32
//   output R: `output` — NCHW for feature maps; with Detect, Ultralytics' training output
//             torch.cat([xi.view(B, no, -1) for xi in x], 2) → [B, no, A] when `train`, else the
//             inference tensor [B, 4 + nc, A];
//             with a gradient file G (`grad_output`, same layout as `output`): `grad_input` (NCHW) and
//             `grad.<state_dict key>` for every trainable parameter (the DFL projection has none,
//             as in PyTorch where it does not require grad).
// BatchNorm uses running statistics unless `train` (then batch statistics, as model.train()).
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, requireTensor, writeSafetensors, type NamedArray, type TensorMap } from '@acmix-lab/runtime';
import { buildModel, type YoloModel } from './model.js';
import { loadStateDict } from './weights.js';

export interface ForwardOptions {
  model: string;
  weights: string;
  input: string;
  out: string;
  grad?: string;
  scale?: string;
  train?: boolean;
}

export interface ForwardResult {
  outputShape: number[];
  /** Names written to the output file. */
  written: string[];
}

function tensorOf(a: NamedArray): tf.Tensor {
  const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array);
  return tf.tensor(data, a.shape, 'float32');
}

/** Our layout → PyTorch's: NHWC → NCHW for maps, [B, A, C] → [B, C, A] for Detect. */
function toTorch(m: YoloModel, t: tf.Tensor): tf.Tensor {
  return m.detect ? tf.transpose(t, [0, 2, 1]) : tf.transpose(t, [0, 3, 1, 2]);
}

function fromTorch(m: YoloModel, t: tf.Tensor): tf.Tensor {
  return m.detect ? tf.transpose(t, [0, 2, 1]) : tf.transpose(t, [0, 2, 3, 1]);
}

async function put(map: TensorMap, name: string, t: tf.Tensor): Promise<void> {
  map.set(name, { dtype: 'F32', shape: t.shape, data: (await t.data()) as Float32Array });
}

export async function runForward(o: ForwardOptions): Promise<ForwardResult> {
  const m = buildModel(o.model, { scale: o.scale });
  const kept: tf.Tensor[] = [];
  try {
    loadStateDict(m, o.weights);
    const x = tf.tidy(() => tf.transpose(tensorOf(requireTensor(readSafetensors(o.input), 'input', o.input)), [0, 2, 3, 1]) as tf.Tensor4D);
    kept.push(x);
    const training = o.train ?? false;
    const result: TensorMap = new Map();
    if (!o.grad) {
      const y = tf.tidy(() => toTorch(m, m.forward(x, training)));
      kept.push(y);
      await put(result, 'output', y);
    } else {
      const g = tf.tidy(() => fromTorch(m, tensorOf(requireTensor(readSafetensors(o.grad!), 'grad_output', o.grad!))));
      const xv = tf.variable(x, true);
      kept.push(g, xv);
      const params = m.torchBindings().filter((b) => b.isParameter && b.variable.trainable);
      let output: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const y = m.forward(xv as tf.Tensor4D, training);
        output = tf.keep(toTorch(m, y));
        return tf.sum(tf.mul(y, g)) as tf.Scalar;
      }, [xv, ...params.map((b) => b.variable.read() as tf.Variable)]);
      kept.push(value, ...Object.values(grads), output!);
      await put(result, 'output', output!);
      const gin = tf.tidy(() => tf.transpose(grads[xv.name]!, [0, 3, 1, 2]));
      kept.push(gin);
      await put(result, 'grad_input', gin);
      for (const b of params) {
        // A parameter that cannot change the output (ACmix's conv_p bias cancels in the softmax)
        // has no gradient in tfjs and a zero one in PyTorch.
        const gp = tf.tidy(() => b.toTorch(grads[(b.variable.read() as tf.Variable).name] ?? tf.zeros(b.variable.shape as number[])));
        kept.push(gp);
        await put(result, `grad.${b.key}`, gp);
      }
    }
    writeSafetensors(o.out, result);
    return { outputShape: result.get('output')!.shape, written: [...result.keys()] };
  } finally {
    tf.dispose(kept);
    m.dispose();
  }
}
