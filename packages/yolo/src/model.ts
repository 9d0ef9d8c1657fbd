// yaml → YOLO model: a tfjs functional LayersModel (NHWC) built layer by layer from the
// parse_model plan, each layer named with its Ultralytics module path (`model.2.m.0.cv1.conv`).
//
// THE DETECT OUTPUT CONTRACT (what the loss, validation and predict code rely on)
//   forwardTrain(x [B, H, W, ch] f32, training = true) → [B, A, 4·regMax + nc]
//     raw Detect outputs (no activation): levels P3, P4, P5 in Detect's `from` order, concatenated;
//     inside a level anchors are row-major (y, then x); per anchor the first 4·regMax = 64 channels
//     are the box-distribution logits, side-major (l, t, r, b) × 16 bins, as Ultralytics splits them
//     (`pred_distri.view(b, a, 4, reg_max)`), then nc class logits. Ultralytics' training output
//     `torch.cat([xi.view(B, no, -1) for xi in x], 2)` is exactly this tensor transposed to [B, no, A].
//     `training` switches BatchNorm between batch statistics (and running-stat updates) and
//     running statistics.
//   anchorGrid(imgsz) → { points [A, 2] (x, y) = grid + 0.5 in stride units, strides [A, 1] }
//     in the same anchor order (utils/tal.py::make_anchors).
//   predict(x) → [B, A, 4 + nc]: boxes xywh in input pixels, then sigmoid scores; BatchNorm in
//     inference mode. Ultralytics' inference output (B, 4 + nc, A) transposed to anchors-major.
// A model without Detect returns its last layer's output from both.
import * as tf from '@tensorflow/tfjs';
import { isTorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { makeAnchors } from './anchors.js';
import { ModelYamlError } from './errors.js';
import { namesByLayer } from './layer-names.js';
import { loadModelYaml, modelYamlFromObject, yamlErrorAt, type ModelYaml, type ModelYamlSource } from './model-yaml.js';
import { initDetect, REG_MAX, type DetectHead } from './modules/detect.js';
import { ModuleContext } from './modules/module.js';
import { planModel, type BuildOptions, type LayerPlan, type ModelPlan } from './parse.js';
import { withSeededRandom } from './seeded-init.js';
import { concreteShapes } from './shapes.js';

/** Ultralytics builds strides from a forward pass at 2× the largest usual stride. */
const STRIDE_PROBE = 256;

export interface LayerRow {
  index: number;
  from: number | number[];
  n: number;
  params: number;
  module: string;
  args: unknown[];
  /** Readable names of the layer (layer-names.ts): `backbone.4`, `backbone.P3`, … */
  names: string[];
}

export interface AnchorTensors {
  /** [A, 2] anchor centres (x, y) in stride units. */
  points: tf.Tensor2D;
  /** [A, 1] stride of each anchor in pixels. */
  strides: tf.Tensor2D;
}

function isSource(x: unknown): x is ModelYamlSource {
  return typeof x === 'object' && x !== null && 'parsed' in x && 'spec' in x;
}

export class YoloModel {
  readonly nc: number | null;
  readonly strides: number[];
  readonly regMax: number;
  readonly ch: number;
  readonly imgsz: number;
  readonly scale: string | null;
  readonly layers: LayerRow[];
  private readonly trainView: tf.LayersModel;
  private readonly inferView: tf.LayersModel;
  /** levelShapes by `${height}x${width}` (the trainer asks every step). */
  private readonly levelShapesBySize = new Map<string, [number, number][]>();

  constructor(
    /** Outputs: [inference, raw] with Detect, else the last layer's output. */
    readonly model: tf.LayersModel,
    readonly plan: ModelPlan,
    readonly source: ModelYamlSource,
    readonly options: BuildOptions,
    /** The tfjs layers of each yaml layer, in yaml order. */
    readonly layerGroups: tf.layers.Layer[][],
    readonly input: tf.SymbolicTensor,
    readonly detect: DetectHead | null,
    raw: tf.SymbolicTensor,
  ) {
    this.nc = detect ? detect.nc : plan.nc;
    this.regMax = detect ? detect.regMax : REG_MAX;
    this.ch = plan.ch;
    this.imgsz = options.imgsz ?? 640;
    this.scale = plan.scale;
    this.trainView = detect ? tf.model({ inputs: input, outputs: raw }) : model;
    this.inferView = detect ? tf.model({ inputs: input, outputs: detect.inference }) : model;
    this.strides = detect ? this.levelShapes(STRIDE_PROBE, STRIDE_PROBE).map(([h]) => STRIDE_PROBE / h) : [];
    if (detect) initDetect(detect, this.strides);
    const names = namesByLayer(plan);
    this.layers = plan.layers.map((l, i) => ({
      index: l.index, from: l.from, n: l.n, module: l.def.type, args: l.args, names: names[i]!,
      params: groupBindings(layerGroups[i]!).filter((b) => b.isParameter).reduce((a, b) => a + size(b.torchShape), 0),
    }));
  }

  /**
   * The grid image sizes must be multiples of: max(largest stride, 32) (Ultralytics' trainer `gs`,
   * AutoBackend's stride): 32 for P3–P5 and P2–P5 heads, 64 for P3–P6.
   */
  get gridSize(): number {
    return Math.max(32, ...this.strides);
  }

  /** Every weight as a PyTorch state_dict entry with its full Ultralytics key. */
  torchBindings(): TorchParamBinding[] {
    return this.layerGroups.flatMap(groupBindings);
  }

  /** Raw outputs ([B, A, 4·regMax + nc] with Detect); see the contract at the top of this file. */
  forwardTrain(x: tf.Tensor4D, training = true): tf.Tensor {
    return this.trainView.apply(x, { training }) as tf.Tensor;
  }

  /**
   * Ultralytics' module forward: in training mode the raw outputs (as forwardTrain), in eval mode
   * the inference output (as predict). Not wrapped in tidy, so it can run under a gradient tape.
   */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor {
    return training ? this.forwardTrain(x, true) : this.inferView.apply(x, { training: false }) as tf.Tensor;
  }

  /** Decoded inference output [B, A, 4 + nc] (or the last layer's output), BatchNorm in inference mode. */
  predict(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => this.forward(x, false));
  }

  /** [h, w] of each Detect level for an input of the given size. */
  levelShapes(height: number, width = height): [number, number][] {
    if (!this.detect) return [];
    const key = `${height}x${width}`;
    let levels = this.levelShapesBySize.get(key);
    if (!levels) {
      const shapes = concreteShapes(this.input, [1, height, width, this.ch], this.detect.levels);
      levels = this.detect.levels.map((t) => {
        const [, h, w] = shapes.get(t.id)!;
        return [h!, w!];
      });
      this.levelShapesBySize.set(key, levels);
    }
    return levels.map(([h, w]) => [h, w]);
  }

  /** Anchor centres and strides for an input of `imgsz` (number or [height, width]). */
  anchorGrid(imgsz: number | [number, number] = this.imgsz): AnchorTensors {
    const [h, w] = typeof imgsz === 'number' ? [imgsz, imgsz] : imgsz;
    const grid = makeAnchors(this.levelShapes(h, w), this.strides);
    return {
      points: tf.tensor2d(grid.points, [grid.count, 2]),
      strides: tf.tensor2d(grid.strides, [grid.count, 1]),
    };
  }

  /** Releases every weight. */
  dispose(): void {
    this.model.dispose();
  }
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function groupBindings(layers: tf.layers.Layer[]): TorchParamBinding[] {
  return layers.flatMap((layer) => (isTorchMappable(layer)
    ? layer.torchBindings().map((b) => ({ ...b, key: `${layer.name}.${b.key}` }))
    : []));
}

function buildLayer(src: ModelYamlSource, plan: ModelPlan, l: LayerPlan, xs: tf.SymbolicTensor[]): { ctx: ModuleContext; output: tf.SymbolicTensor; detect?: DetectHead } {
  const ctx = new ModuleContext(`model.${l.index}`);
  try {
    if (l.instances === 1) return { ctx, ...l.def.build(ctx, xs, l.args, plan) };
    // n > 1 for a module without a repeat argument: nn.Sequential(m(*args) for _ in range(n)).
    let x = xs;
    for (let j = 0; j < l.instances; j++) x = [l.def.build(ctx.child(j), x, l.args, plan).output];
    return { ctx, output: x[0]! };
  } catch (err) {
    if (err instanceof ModelYamlError) throw err;
    throw yamlErrorAt(src, [...l.yamlPath, 2], `${l.field} ${l.module}`, (err as Error).message);
  }
}

/**
 * Build a model from a yaml path (Ultralytics' yolov8n.yaml → yolov8.yaml at scale n applies), a
 * spec object, or an already loaded source.
 */
export function buildModel(source: string | ModelYaml | ModelYamlSource, opts: BuildOptions = {}): YoloModel {
  const src = typeof source === 'string' ? loadModelYaml(source) : isSource(source) ? source : modelYamlFromObject(source);
  const plan = planModel(src, opts);
  return withSeededRandom(opts.seed, () => buildPlanned(src, plan, opts));
}

function buildPlanned(src: ModelYamlSource, plan: ModelPlan, opts: BuildOptions): YoloModel {
  const input = tf.input({ shape: [null, null, plan.ch], name: 'images' });
  const outputs: tf.SymbolicTensor[] = [];
  const groups: tf.layers.Layer[][] = [];
  let detect: DetectHead | null = null;
  for (const l of plan.layers) {
    const built = buildLayer(src, plan, l, l.inputs.map((j) => (j < 0 ? input : outputs[j]!)));
    outputs.push(built.output);
    groups.push(built.ctx.layers);
    detect = built.detect ?? detect;
  }
  const last = outputs.at(-1);
  if (!last) throw yamlErrorAt(src, ['backbone'], 'backbone', 'the model has no layers');
  const model = tf.model({ inputs: input, outputs: detect ? [detect.inference, last] : last });
  return new YoloModel(model, plan, src, opts, groups, input, detect, last);
}
