// The fused TensorFlow kernels (native/*.cc, every one named in native/addon.cc and in NativeAddon below), when
// they are built and the native backend is in use. attention.ts and the dense conv
// in layer.ts compute the same things from stock TensorFlow.js ops and are the fallback everywhere else (cpu backend,
// no compiler at install, ACMIX_LAB_FUSED=0).
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATIVE_ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../native/build/Release/acmix_ops.node');

interface NativeAddon {
  attention: string; attentionGrad: string; groupedConv: string; groupedConvGrad: string; silu: string; siluGrad: string;
  conv2dBackpropFilter: string; flatConcat: string; flatSplit: string; batchNormSilu: string; batchNormSiluGrad: string;
  winogradConv2D: string; winogradFilterGradient: string; composedWeights: string; composedWeightsGrad: string; maxPoolGrad: string;
  qkvConv: string; qkvConvGrad: string; foldedWeights: string; foldedWeightsGrad: string; concat: string; split: string;
  trimHeap(): boolean;
}
export type OpName = Exclude<keyof NativeAddon, 'trimHeap'>;
interface TfBackend {
  binding: { TF_ATTR_INT: number; TF_ATTR_FLOAT: number };
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

let addon: NativeAddon | null | undefined;
let reason = '';

/** The addon, loaded on first use (loading registers its ops in the TensorFlow runtime tfjs-node loaded); null when it does not load. */
function loadAddon(): NativeAddon | null {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(NATIVE_ADDON) as NativeAddon;
    } catch (err) {
      addon = null;
      reason = `${NATIVE_ADDON} did not load (${String((err as Error).message).split('\n')[0]}); build it with \`npm run build:native -w @acmix-lab/acmix\``;
    }
  }
  return addon;
}

/** Why the fused kernels are not used, or null when they are available. */
export function fusedAttentionUnavailable(): string | null {
  if (process.env.ACMIX_LAB_FUSED === '0') return 'disabled by ACMIX_LAB_FUSED=0';
  if (tf.getBackend() !== 'tensorflow') return `backend is ${tf.getBackend()}, the fused kernels need the native tensorflow backend`;
  return loadAddon() ? null : reason;
}

/**
 * Returns the native heap's free memory to the system (glibc malloc_trim, native/addon.cc). Freed
 * multi-MiB blocks (Node buffers of checkpoints, validation and the DataLoader; TensorFlow's allocations
 * outside oneDNN's pool) otherwise stay resident, and RSS creeps up over a training run. Whether anything
 * was released; false without the native backend or the addon.
 */
export function trimNativeHeap(): boolean {
  return tf.getBackend() === 'tensorflow' && (loadAddon()?.trimHeap() ?? false);
}

/**
 * Why training BatchNorm2d → SiLU does not run as the one fused op, or null when it does: the fused kernels'
 * reasons, or ACMIX_LAB_FUSED_BN_SILU=0 (which keeps the other fused kernels, for bench:train's A/B).
 */
export function fusedBatchNormSiluUnavailable(): string | null {
  if (process.env.ACMIX_LAB_FUSED_BN_SILU === '0') return 'disabled by ACMIX_LAB_FUSED_BN_SILU=0';
  return fusedAttentionUnavailable();
}

/** Op attributes: a number or a list of numbers is an int attribute, { float } a float one. */
type OpAttrs = Record<string, number | number[] | { float: number }>;

/** Runs a registered op by name (not differentiable: fusedOp adds the gradient); throws when the kernels are unavailable. */
export function runNativeOp(name: OpName, attrs: OpAttrs, inputs: tf.Tensor[], nOut: number): tf.Tensor[] {
  const unavailable = fusedAttentionUnavailable();
  if (unavailable) throw new Error(`fused ACmix kernels unavailable: ${unavailable}`);
  const backend = tf.backend() as unknown as TfBackend;
  const opAttrs = Object.entries(attrs).map(([attr, value]) => (typeof value === 'object' && !Array.isArray(value)
    ? { name: attr, type: backend.binding.TF_ATTR_FLOAT, value: value.float }
    : { name: attr, type: backend.binding.TF_ATTR_INT, value }));
  return backend.executeMultipleOutputs(addon![name], opAttrs, inputs, nOut);
}

/**
 * Runs a registered op by name, differentiable through its gradient op (given the same attributes); the
 * value is the op's first output, `onOutputs` sees all of them.
 */
function fusedOp(forward: OpName, backward: OpName, attrs: OpAttrs, saved: (inputs: tf.Tensor[], outputs: tf.Tensor[]) => tf.Tensor[], nOut: number,
  onOutputs?: (outputs: tf.Tensor[]) => void) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const outputs = runNativeOp(forward, attrs, inputs, nOut);
    onOutputs?.(outputs);
    save(saved(inputs, outputs));
    return {
      value: outputs[0]!,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => runNativeOp(backward, attrs, [...kept, dy], inputs.length),
    };
  });
}

export interface FusedAttentionAttrs {
  kernelAtt: number;
  stride: number;
  dilation: number;
}

/**
 * q, k: [B, H, W, heads, E]; v: [B, H, W, heads, D] → [B, ceil(H/s), ceil(W/s), heads, D].
 * Same contract as windowAttention in attention.ts; the forward also returns the window softmax
 * (probs), which the backward kernel reads.
 */
export function fusedWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, a: FusedAttentionAttrs): tf.Tensor {
  const attrs = { kernel_att: a.kernelAtt, stride: a.stride, dilation: a.dilation };
  // The gradient op takes q, k, v, probs, out, dout.
  return fusedOp('attention', 'attentionGrad', attrs, (inputs, [out, probs]) => [...inputs, probs!, out!], 2)(q, k, v);
}

/**
 * ACmix's dep_conv: f [B, H, W, head_dim, kc²] (f_conv), w [head_dim, kc², head·kc²] (the layer's
 * dep_conv variable layout) → [B, ceil(H/s), ceil(W/s), head_dim, head]; zero padding kc / 2.
 */
export function fusedGroupedConv(f: tf.Tensor, w: tf.Tensor, kernelConv: number, stride: number): tf.Tensor {
  return fusedOp('groupedConv', 'groupedConvGrad', { kernel: kernelConv, stride }, (inputs) => inputs, 1)(f, w);
}

/** nn.SiLU x·σ(x) and its gradient, one pass each (native/silu.cc); the backward recomputes σ from x. */
export function fusedSilu(x: tf.Tensor): tf.Tensor {
  return fusedOp('silu', 'siluGrad', {}, (inputs) => inputs, 1)(x);
}

/**
 * Training-mode BatchNorm2d then SiLU (Ultralytics Conv's bn → act) on NHWC x with γ, β [C], one pass
 * of statistics and one of output forward, a reduction and an elementwise pass backward
 * (native/batchnorm_silu.cc). `onStats` receives the batch mean and unbiased variance, for the running
 * statistics. Only x, γ, β and two [C] vectors stay alive for the backward.
 */
export function fusedBatchNormSilu(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number,
  onStats: (mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D) => void): tf.Tensor {
  // Outputs: y, batch mean, unbiased batch variance, inverse std; the gradient op takes x, γ, β, mean, inv_std, dy.
  // σ evaluated inline (native/sigmoid.h SigmoidPolynomial) unless ACMIX_LAB_BN_SILU_POLY_SIGMOID=0 (libm's expf, as before).
  const polySigmoid = process.env.ACMIX_LAB_BN_SILU_POLY_SIGMOID === '0' ? 0 : 1;
  return fusedOp('batchNormSilu', 'batchNormSiluGrad', { epsilon: { float: eps }, poly_sigmoid: polySigmoid }, (inputs, [, mean, , inv]) => [...inputs, mean!, inv!], 4,
    ([, mean, variance]) => onStats(mean as tf.Tensor1D, variance as tf.Tensor1D))(x, gamma, beta);
}
