// Model summary like Ultralytics' model_info (utils/torch_utils.py): per-layer rows as parse_model
// prints them and totals: layers (PyTorch's module count), parameters (torch `parameters()`: BN
// running stats excluded, the DFL projection included), gradients (trainable parameters) and
// GFLOPs at `imgsz`. GFLOPs follow get_flops = thop.profile × 2 on the training-mode graph
// (Detect without its DFL decode): each layer standing for a PyTorch module counts itself as thop's
// hook would (layers/thop.ts: convs, BatchNorm, pooling, Linear, Conv1d), nearest upsampling one op
// per output element; ACmix via acmixFlops; functional ops (attention matmuls, max) are not counted,
// as thop does not see them. Shapes come from the real graph at imgsz.
import * as tf from '@tensorflow/tfjs';
import { acmixFlops, ACmix } from '@acmix-lab/acmix';
import { isThopCounted, numel } from './layers/thop.js';
import { TorchBatchNorm } from './layers/torch-batchnorm.js';
import type { LayerRow, YoloModel } from './model.js';
import { checkImgsz } from './predict/predict.js';
import { pyRepr } from './pyargs.js';
import { concreteShapes } from './shapes.js';

export interface ModelSummary {
  layers: LayerRow[];
  /** PyTorch module count (Ultralytics' "N layers"). */
  layerCount: number;
  params: number;
  gradients: number;
  gflops: number;
  imgsz: number;
  /**
   * After Ultralytics' fuse() (what val and predict print as "summary (fused)"): every Conv's
   * BatchNorm folded into a conv bias (c parameters instead of 2c, one module less, no BN ops).
   */
  fused: { layerCount: number; params: number; gflops: number };
}

/** thop-style operation count of one call of `layer` (multiply-adds count once). */
function layerOps(layer: tf.layers.Layer, inputs: number[][], output: number[]): number {
  if (isThopCounted(layer)) return layer.thopOps(inputs, output);
  if (layer.getClassName() === 'UpSampling2D') return numel(output);
  if (layer instanceof ACmix) {
    const [, h, w, c1] = inputs[0]!;
    return acmixFlops({
      inPlanes: c1!, outPlanes: layer.outPlanes, height: h!, width: w!, head: layer.head, kernelConv: layer.kernelConv,
      kernelAtt: layer.kernelAtt, stride: layer.stride, dilation: layer.dilation,
    }) / 2;
  }
  return 0;
}

/** Operations of the training-mode graph (input → raw output) for a batch-1 imgsz×imgsz input: all, BatchNorm's. */
function countOps(m: YoloModel, imgsz: number): { all: number; batchNorm: number } {
  const raw = m.model.outputs.at(-1)!;
  const shapes = concreteShapes(m.input, [1, imgsz, imgsz, m.ch], [raw]);
  const ops = { all: 0, batchNorm: 0 };
  for (const group of m.layerGroups) {
    for (const layer of group) {
      for (const node of layer.inboundNodes) {
        const out = shapes.get(node.outputTensors[0]!.id);
        if (!out) continue; // the DFL decode is not part of the training graph
        const n = layerOps(layer, node.inputTensors.map((t) => shapes.get(t.id)!), out);
        ops.all += n;
        if (layer instanceof TorchBatchNorm) ops.batchNorm += n;
      }
    }
  }
  return ops;
}

export function modelSummary(m: YoloModel, imgsz = m.imgsz): ModelSummary {
  const params = m.torchBindings().filter((b) => b.isParameter);
  const count = (bs: typeof params) => bs.reduce((a, b) => a + numel(b.torchShape), 0);
  // The model and its nn.Sequential, plus the one SiLU instance every Conv shares (Conv.default_act).
  const sharedAct = m.layerGroups.some((g) => g.some((l) => l instanceof TorchBatchNorm && l.activation === 'silu'));
  const modules = 2 + (sharedAct ? 1 : 0) + m.plan.layers.reduce((a, l) => {
    const one = l.def.torchModules(l.args, m.plan);
    return a + (l.instances > 1 ? 1 + l.instances * one : one);
  }, 0);
  const batchNorms = m.layerGroups.flat().filter((l) => l instanceof TorchBatchNorm);
  const bnChannels = batchNorms.reduce((a, l) => a + (l.getWeights()[0]?.size ?? 0), 0);
  // get_flops profiles a grid-size image and scales by area: counting at the next multiple of the grid (the
  // size itself when it is one, so layers that are not area-proportional such as ACmix count exactly) and
  // scaling the same way gives its number for any imgsz (a P3–P6 model cannot run 96 px).
  const size = checkImgsz(imgsz, m.gridSize);
  const ops = countOps(m, size);
  const gflops = (o: number) => ((2 * o) / 1e9) * (imgsz / size) ** 2;
  return {
    layers: m.layers,
    layerCount: modules,
    params: count(params),
    gradients: count(params.filter((b) => b.variable.trainable)),
    gflops: gflops(ops.all),
    imgsz,
    fused: { layerCount: modules - batchNorms.length, params: count(params) - bnChannels, gflops: gflops(ops.all - ops.batchNorm) },
  };
}

/**
 * The table Ultralytics prints while parsing, then its one-line summary; a last column adds each
 * layer's readable names (layer-names.ts), which sweep positions accept.
 */
export function formatSummary(s: ModelSummary, title = 'Model'): string {
  const args = s.layers.map((r) => pyRepr(r.args));
  const width = Math.max('arguments'.length, ...args.map((a) => a.length));
  const line = (index: string, from: string, n: string, params: string, module: string, a: string, names: string) =>
    `${index.padStart(3)}${from.padStart(20)}${n.padStart(3)}${params.padStart(10)}  ${module.padEnd(45)}${a.padEnd(width)}  ${names}`.trimEnd();
  const lines = [
    line('', 'from', 'n', 'params', 'module', 'arguments', 'names'),
    ...s.layers.map((r, i) => line(String(r.index), pyRepr(r.from), String(r.n), String(r.params), r.module, args[i]!, r.names.join(' '))),
  ];
  lines.push(`${title} summary: ${s.layerCount} layers, ${s.params.toLocaleString('en-US')} parameters, ` +
    `${s.gradients.toLocaleString('en-US')} gradients, ${s.gflops.toFixed(1)} GFLOPs at ${s.imgsz}`);
  return lines.join('\n');
}
