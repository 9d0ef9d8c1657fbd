// A correct ResizeNearestNeighborGrad for the tfjs `cpu` backend.
// The stock kernel (tfjs-backend-cpu kernels/ResizeNearestNeighborGrad.ts, 4.22.0) offsets `dy`
// by the *input's* batch stride, so every image after the first reads the wrong gradient rows.
// YOLOv8's neck upsamples, so training on `cpu` with batch > 1 would silently learn garbage.
// This version scatters each dy element onto the source pixel the forward pass read from.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

interface CpuBackendData {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
}

/** Index of the source pixel that output pixel `o` copied in the forward resize (tfjs semantics). */
function sourceIndex(o: number, inSize: number, outSize: number, alignCorners: boolean): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const frac = o * (effIn / effOut);
  return Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
}

export const resizeNearestNeighborGradCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { images, dy } = inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners } = attrs as unknown as { alignCorners: boolean };
  const cpu = backend as unknown as CpuBackendData;
  const [batch, inH, inW, depth] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const dyValues = cpu.data.get(dy.dataId).values;
  const out = new Float32Array(batch * inH * inW * depth);
  const srcCol = Array.from({ length: outW }, (_, c) => sourceIndex(c, inW, outW, alignCorners));
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const sr = sourceIndex(r, inH, outH, alignCorners);
      for (let c = 0; c < outW; c++) {
        const dyBase = ((b * outH + r) * outW + c) * depth;
        const outBase = ((b * inH + sr) * inW + srcCol[c]!) * depth;
        for (let d = 0; d < depth; d++) out[outBase + d]! += dyValues[dyBase + d]!;
      }
    }
  }
  return cpu.makeTensorInfo(images.shape, images.dtype, out);
};

export const resizeNearestNeighborGradCpuConfig: KernelConfig = {
  kernelName: tf.ResizeNearestNeighborGrad,
  backendName: 'cpu',
  kernelFunc: resizeNearestNeighborGradCpu,
};

/** Replace the stock cpu kernel with the corrected one (idempotent). */
export function registerCpuKernelFixes(): void {
  const current = tf.getKernel(tf.ResizeNearestNeighborGrad, 'cpu');
  if (current?.kernelFunc === resizeNearestNeighborGradCpu) return;
  if (current) tf.unregisterKernel(tf.ResizeNearestNeighborGrad, 'cpu');
  tf.registerKernel(resizeNearestNeighborGradCpuConfig);
}
