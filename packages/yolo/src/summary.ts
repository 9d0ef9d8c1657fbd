// Model summary like Ultralytics' model_info (utils/torch_utils.py): per-layer rows as parse_model
// prints them and totals: layers (PyTorch's module count), parameters (torch `parameters()`: BN
// running stats excluded, the DFL projection included), gradients (trainable parameters) and
// GFLOPs at `imgsz`. GFLOPs follow get_flops = thop.profile × 2 on the training-mode graph
// (Detect without its DFL decode): conv MACs (output elements × c_in/groups × k²), BatchNorm
// 2·elements doubled when affine (thop count_normalization), nearest upsampling one op per
// output element; ACmix via acmixFlops. Shapes come from the real graph at imgsz.
import * as tf from '@tensorflow/tfjs';
import { acmixFlops, ACmix } from '@acmix-lab/acmix';
import { SiLU } from './layers/silu.js';
import { TorchBatchNorm } from './layers/torch-batchnorm.js';
import { TorchConv2d } from './layers/torch-conv2d.js';
import type { LayerRow, YoloModel } from './model.js';
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
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** thop-style operation count of one call of `layer` (multiply-adds count once). */
function layerOps(layer: tf.layers.Layer, inputs: number[][], output: number[]): number {
  if (layer instanceof TorchConv2d) return (numel(output) * inputs[0]![3]! * layer.kernelSize ** 2) / layer.groups;
  if (layer instanceof TorchBatchNorm) return 4 * numel(inputs[0]!);
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

/** Operations of the training-mode graph (input → raw output) for a batch-1 imgsz×imgsz input. */
function countOps(m: YoloModel, imgsz: number): number {
  const raw = m.model.outputs.at(-1)!;
  const shapes = concreteShapes(m.input, [1, imgsz, imgsz, m.ch], [raw]);
  let ops = 0;
  for (const group of m.layerGroups) {
    for (const layer of group) {
      for (const node of layer.inboundNodes) {
        const out = shapes.get(node.outputTensors[0]!.id);
        if (!out) continue; // the DFL decode is not part of the training graph
        ops += layerOps(layer, node.inputTensors.map((t) => shapes.get(t.id)!), out);
      }
    }
  }
  return ops;
}

export function modelSummary(m: YoloModel, imgsz = m.imgsz): ModelSummary {
  const params = m.torchBindings().filter((b) => b.isParameter);
  const count = (bs: typeof params) => bs.reduce((a, b) => a + numel(b.torchShape), 0);
  // The model and its nn.Sequential, plus the one SiLU instance every Conv shares (Conv.default_act).
  const sharedAct = m.layerGroups.some((g) => g.some((l) => l instanceof SiLU));
  const modules = 2 + (sharedAct ? 1 : 0) + m.plan.layers.reduce((a, l) => {
    const one = l.def.torchModules(l.args, m.plan);
    return a + (l.instances > 1 ? 1 + l.instances * one : one);
  }, 0);
  return {
    layers: m.layers,
    layerCount: modules,
    params: count(params),
    gradients: count(params.filter((b) => b.variable.trainable)),
    gflops: (2 * countOps(m, imgsz)) / 1e9,
    imgsz,
  };
}

/** The table Ultralytics prints while parsing, then its one-line summary. */
export function formatSummary(s: ModelSummary, title = 'Model'): string {
  const lines = [`${''.padStart(3)}${'from'.padStart(20)}${'n'.padStart(3)}${'params'.padStart(10)}  ${'module'.padEnd(45)}arguments`];
  for (const r of s.layers) {
    lines.push(`${String(r.index).padStart(3)}${pyRepr(r.from).padStart(20)}${String(r.n).padStart(3)}${String(r.params).padStart(10)}  ${r.module.padEnd(45)}${pyRepr(r.args)}`);
  }
  lines.push(`${title} summary: ${s.layerCount} layers, ${s.params.toLocaleString('en-US')} parameters, ` +
    `${s.gradients.toLocaleString('en-US')} gradients, ${s.gflops.toFixed(1)} GFLOPs at ${s.imgsz}`);
  return lines.join('\n');
}
