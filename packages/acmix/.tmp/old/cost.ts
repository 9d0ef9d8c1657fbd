// Parameter and FLOP counts of the official ACmix module, for model summaries.
import { windowReach } from './geometry.js';

export interface ACmixShape {
  inPlanes: number;
  outPlanes: number;
  head?: number;
  kernelConv?: number;
}

/** Parameters of the official module (its state_dict; no dep_conv bias). ACmix(64) = 17,822. */
export function acmixParamCount({ inPlanes, outPlanes, head = 4, kernelConv = 3 }: ACmixShape): number {
  const d = outPlanes / head;
  const kk = kernelConv * kernelConv;
  return 3 * (inPlanes * outPlanes + outPlanes) // conv1..3 (1×1, bias)
    + 3 * d // conv_p: 2 → head_dim with bias
    + 3 * head * kk // fc: 3·head → kc², no bias
    + outPlanes * kk * kk // dep_conv: kc²·head_dim → out, groups head_dim, no bias
    + 2; // rate1, rate2
}

export interface ACmixFlopsArgs extends ACmixShape {
  height: number;
  width: number;
  kernelAtt?: number;
  stride?: number;
  dilation?: number;
}

/**
 * FLOPs (multiply-add = 2) of one batch-1 forward in the official formulation: the q/k/v and
 * conv_p 1×1 convs, the window logits and the weighted value sum (kernel_att² products of
 * head_dim per head and output pixel, window shrunk on small maps as the layer does), fc and the
 * grouped dep_conv. Softmax and the elementwise adds are not counted (as thop/Ultralytics don't).
 */
export function acmixFlops(a: ACmixFlopsArgs): number {
  const { inPlanes, outPlanes, height, width, head = 4, kernelConv = 3, kernelAtt = 7, stride = 1, dilation = 1 } = a;
  const d = outPlanes / head;
  const kk = kernelConv * kernelConv;
  const pixels = height * width;
  const outPixels = Math.ceil(height / stride) * Math.ceil(width / stride);
  const opts = { kernelAtt, stride, dilation };
  const window = (2 * windowReach(height, opts) / dilation + 1) * (2 * windowReach(width, opts) / dilation + 1);
  const macs = 3 * pixels * inPlanes * outPlanes // q, k, v
    + pixels * 2 * d // conv_p
    + 2 * outPixels * window * outPlanes // logits q·k over the window, then attention · v
    + pixels * d * 3 * head * kk // fc
    + outPixels * outPlanes * kk * kk; // dep_conv, kc² inputs per group
  return 2 * macs;
}
