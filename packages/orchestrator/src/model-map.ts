// The model map a sweep stores in `sweeps.spec` for the dashboard: the base model's layers as
// `acmix-lab model` lists them, and where each candidate position sits with what it costs on its own.
// One map per scale of the sweep: `spec.model_maps` by scale, and `spec.model_map` the first scale's
// (what a single-scale sweep, the usual case, is drawn from).
// The dashboard (issue 11) validates this shape with a zod schema in packages/store; until that is on
// main it is defined here, field for field the same.
import { resolveTrainConfig, type TrainConfigInput } from '@acmix-lab/trainer';
import { buildModel, modelSummary } from '@acmix-lab/yolo';
import { measureVariants } from './measure.js';
import type { PlacementKind } from './placement.js';
import type { Sweep } from './sweep-file.js';
import { enumerateVariants } from './variants.js';

export interface ModelMapLayer {
  index: number;
  /** packages/yolo's names of the layer: `backbone.4`, `backbone.P3`, `neck.P3`, `detect`, … */
  names: string[];
  /** backbone: the yaml's backbone list; neck: its head list before Detect; head: Detect. */
  section: 'backbone' | 'neck' | 'head';
  /** The yaml's module name: `Conv`, `C2f`, `Concat`, `Detect`, … */
  module: string;
  /** The yaml's `from`: -1, an index, or a list of them. */
  from: number | number[];
  /** Output channels at the map's scale. */
  c2: number;
  /** Output stride relative to the input image (8 for a P3 feature map). */
  stride: number;
  params: number;
}

export interface ModelMapPosition {
  kind: PlacementKind;
  /** The base model's layer index. */
  layer: number;
  /** Parameters and GFLOPs (at imgsz) this position adds to the base model on its own. */
  params_delta: number;
  gflops_delta: number;
}

export interface ModelMap {
  /** The base model yaml. */
  model: string;
  /** The scale ('' for a yaml without scales). */
  scale: string;
  /** The image size GFLOPs are counted at (the sweep's train.imgsz). */
  imgsz: number;
  layers: ModelMapLayer[];
  /** The sweep's candidate positions by name. */
  positions: Record<string, ModelMapPosition>;
}

/** The map at each of the sweep's scales, in its order (builds the base and one model per position and scale). */
export function modelMaps(sweep: Sweep): ModelMap[] {
  const imgsz = resolveTrainConfig({ ...sweep.train, model: 'model.yaml', data: sweep.data } as TrainConfigInput).imgsz;
  return sweep.scales.map((scale) => {
    // Each position on its own, at the module's own args: the variants of a sweep with one position each.
    const single = { ...sweep, scales: [scale], combine: sweep.positions.map((p) => [p.name]), grid: [], seeds: [sweep.seeds[0]!] };
    const variants = enumerateVariants(single);
    const sizes = measureVariants(single, variants);
    const model = buildModel(sweep.model, { scale: scale ?? undefined, imgsz });
    try {
      const summary = modelSummary(model, imgsz);
      const layers = summary.layers.map((row, i): ModelMapLayer => {
        const plan = model.plan.layers[i]!;
        const section = plan.yamlPath[0] === 'backbone' ? 'backbone' : plan.def.role === 'detect' ? 'head' : 'neck';
        return { index: row.index, names: row.names, section, module: plan.module, from: row.from, c2: plan.c2, stride: plan.stride, params: row.params };
      });
      const positions = Object.fromEntries(variants.map((v) => {
        const p = sweep.positions.find((q) => q.name === v.positions[0])!;
        const size = sizes.get(v.name)!;
        return [p.name, { kind: p.kind, layer: p.layer, params_delta: size.deltaParams, gflops_delta: size.deltaGflops }];
      }));
      return { model: sweep.model.file, scale: scale ?? '', imgsz, layers, positions };
    } finally {
      model.dispose();
    }
  });
}
