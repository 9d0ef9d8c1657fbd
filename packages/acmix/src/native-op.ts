// The fused window-attention TensorFlow kernels (native/acmix_ops.cc), when they are built and the
// native backend is in use. src/attention.ts computes the same thing from stock TensorFlow.js ops
// and is the fallback everywhere else (cpu backend, no compiler at install, ACMIX_LAB_FUSED=0).
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATIVE_ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../native/build/Release/acmix_ops.node');

interface NativeAddon { forwardOp: string; backwardOp: string }
interface TfBackend {
  binding: { TF_ATTR_INT: number };
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

let addon: NativeAddon | null | undefined;
let reason = '';

/** Why the fused kernels are not used, or null when they are available. */
export function fusedAttentionUnavailable(): string | null {
  if (process.env.ACMIX_LAB_FUSED === '0') return 'disabled by ACMIX_LAB_FUSED=0';
  if (tf.getBackend() !== 'tensorflow') return `backend is ${tf.getBackend()}, the fused kernels need the native tensorflow backend`;
  if (addon === undefined) {
    try {
      // Loading registers the ops in the TensorFlow runtime tfjs-node already loaded.
      addon = createRequire(import.meta.url)(NATIVE_ADDON) as NativeAddon;
    } catch (err) {
      addon = null;
      reason = `${NATIVE_ADDON} did not load (${String((err as Error).message).split('\n')[0]}); build it with \`npm run build:native -w @acmix-lab/acmix\``;
    }
  }
  return addon ? null : reason;
}

export interface FusedAttentionAttrs {
  kernelAtt: number;
  stride: number;
  dilation: number;
}

/**
 * q, k: [B, H, W, heads, E]; v: [B, H, W, heads, D] → [B, ceil(H/s), ceil(W/s), heads, D].
 * Same contract as windowAttention in attention.ts; the forward saves the window softmax
 * (probs) for the backward kernel.
 */
export function fusedWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, attrs: FusedAttentionAttrs): tf.Tensor {
  const unavailable = fusedAttentionUnavailable();
  if (unavailable) throw new Error(`fused ACmix attention unavailable: ${unavailable}`);
  const backend = tf.backend() as unknown as TfBackend;
  const opAttrs = [
    { name: 'kernel_att', type: backend.binding.TF_ATTR_INT, value: attrs.kernelAtt },
    { name: 'stride', type: backend.binding.TF_ATTR_INT, value: attrs.stride },
    { name: 'dilation', type: backend.binding.TF_ATTR_INT, value: attrs.dilation },
  ];
  const attend = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qs, ks, vs, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [out, probs] = backend.executeMultipleOutputs(addon!.forwardOp, opAttrs, [qs, ks, vs], 2) as [tf.Tensor, tf.Tensor];
    save([qs, ks, vs, probs, out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backend.executeMultipleOutputs(addon!.backwardOp, opAttrs, [...saved, dy], 3),
    };
  });
  return attend(q, k, v);
}
