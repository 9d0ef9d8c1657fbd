import type { ApPerClassResult } from './ap.js';
import { mean } from './numeric.js';

/** Box metrics of one validation, named as Ultralytics' `Metric` / `DetMetrics` name them. */
export interface DetMetrics {
  /** Mean precision and recall over the labelled classes, at the max-mean-F1 confidence. */
  mp: number;
  mr: number;
  /** mAP at IoU 0.5, at 0.75, and averaged over 0.50:0.95. */
  map50: number;
  map75: number;
  map: number;
  /** 0.1·mAP50 + 0.9·mAP50-95: what selects `best` weights. */
  fitness: number;
  /** Classes the per-class arrays below refer to (those with labels). */
  apClassIndex: Int32Array;
  p: Float64Array;
  r: Float64Array;
  f1: Float64Array;
  /** AP50 and AP50-95 per class in apClassIndex order. */
  ap50: Float64Array;
  ap: Float64Array;
  /** AP50-95 for every class id 0..nc-1, mAP for classes without labels (Ultralytics `maps`). */
  maps: Float64Array;
  /** The full ap_per_class output (curves for plots), or null when nothing was a true positive. */
  curves: ApPerClassResult | null;
}

/**
 * Summarise `apPerClass` output like Ultralytics `Metric.update` + its properties. `result` null
 * stands for Ultralytics skipping `metrics.process` when no prediction is a true positive at any
 * IoU: then every number is 0.
 */
export function detMetrics(result: ApPerClassResult | null, nc: number): DetMetrics {
  if (!result || result.classes.length === 0) {
    return {
      mp: 0, mr: 0, map50: 0, map75: 0, map: 0, fitness: 0,
      apClassIndex: new Int32Array(0), p: new Float64Array(0), r: new Float64Array(0), f1: new Float64Array(0),
      ap50: new Float64Array(0), ap: new Float64Array(0), maps: new Float64Array(nc), curves: result,
    };
  }
  const { classes, nIou, ap: all } = result;
  const column = (j: number) => Float64Array.from(classes, (_, ci) => all[ci * nIou + j]!);
  const ap = Float64Array.from(classes, (_, ci) => mean(all.subarray(ci * nIou, (ci + 1) * nIou)));
  const ap50 = column(0);
  const map50 = mean(ap50);
  const map = mean(all);
  const maps = new Float64Array(nc).fill(map);
  classes.forEach((c, ci) => { if (c >= 0 && c < nc) maps[c] = ap[ci]!; });
  return {
    mp: mean(result.p), mr: mean(result.r), map50, map75: mean(column(5)), map,
    fitness: 0.1 * map50 + 0.9 * map,
    apClassIndex: classes, p: result.p, r: result.r, f1: result.f1, ap50, ap, maps, curves: result,
  };
}

/** The four box columns of Ultralytics' results.csv (and `fitness`), keyed as Ultralytics keys them. */
export function resultsDict(m: DetMetrics): Record<string, number> {
  return {
    'metrics/precision(B)': m.mp,
    'metrics/recall(B)': m.mr,
    'metrics/mAP50(B)': m.map50,
    'metrics/mAP50-95(B)': m.map,
    fitness: m.fitness,
  };
}
