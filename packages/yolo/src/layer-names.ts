// Readable names for a model's layers, derived from its plan so that every yaml family gets them
// (YOLOv8, P2/P6 variants, v5u, YOLO11, custom yamls), for sweep positions and model listings:
//   backbone.<k>, head.<k>  the k-th entry of the yaml's backbone / head list (as errors name them);
//   backbone.P<l>           the last backbone layer whose output has stride 2^l (yolov8: P3 = 4,
//                           P4 = 6, P5 = 9, the features the head reads);
//   neck.P<l>               the layer Detect reads at stride 2^l (yolov8: P3 = 15, P4 = 18, P5 = 21);
//   detect                  the Detect layer.
import type { ModelPlan } from './parse.js';

/** P level of a stride (8 → 3), or null when the stride is not a power of two. */
function level(stride: number): number | null {
  const l = Math.log2(stride);
  return Number.isInteger(l) && l >= 0 ? l : null;
}

/** Every name of the model's layers → layer index, in a stable order (sections, then levels). */
export function layerNames(plan: ModelPlan): Map<string, number> {
  const names = new Map<string, number>();
  for (const l of plan.layers) names.set(`${l.yamlPath[0]}.${l.yamlPath[1]}`, l.index);
  for (const l of plan.layers) {
    const p = level(l.stride);
    // A later layer at the same stride takes the name over (Map.set keeps the first position).
    if (l.yamlPath[0] === 'backbone' && p !== null) names.set(`backbone.P${p}`, l.index);
  }
  const detect = plan.layers.find((l) => l.def.role === 'detect');
  if (detect) {
    for (const i of detect.inputs) {
      const p = i < 0 ? null : level(plan.layers[i]!.stride);
      if (p !== null && !names.has(`neck.P${p}`)) names.set(`neck.P${p}`, i);
    }
    names.set('detect', detect.index);
  }
  return names;
}

/** The names of each layer, by index (`backbone.4`, `backbone.P3` for yolov8's layer 4). */
export function namesByLayer(plan: ModelPlan): string[][] {
  const out = plan.layers.map((): string[] => []);
  for (const [name, i] of layerNames(plan)) out[i]!.push(name);
  return out;
}

/**
 * The layer a position refers to: an index (0 … layers − 1) or a name. Null when there is no such
 * layer; `describeLayerRefs` says what exists.
 */
export function findLayer(plan: ModelPlan, ref: number | string): number | null {
  if (typeof ref === 'number') return Number.isInteger(ref) && ref >= 0 && ref < plan.layers.length ? ref : null;
  return layerNames(plan).get(ref) ?? null;
}

/** What a layer reference may be, for error messages: the index range and the names. */
export function describeLayerRefs(plan: ModelPlan): string {
  const names = [...layerNames(plan).keys()];
  const sections = ['backbone', 'head'].flatMap((s) => {
    const ks = names.filter((n) => new RegExp(`^${s}\\.\\d+$`).test(n));
    return ks.length ? [`${s}.0 … ${ks.at(-1)}`] : [];
  });
  const semantic = names.filter((n) => !/^(backbone|head)\.\d+$/.test(n));
  return `layers 0 … ${plan.layers.length - 1}, ${[...sections, ...semantic].join(', ')}`;
}
