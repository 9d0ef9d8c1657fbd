import { argsortDescending, interp, linspace, roundHalfEven, trapz } from './numeric.js';

const RECALL_POINTS = linspace(0, 1, 101);
const CURVE_POINTS = 1000;

/**
 * AP from one recall/precision curve, like Ultralytics `utils/metrics.py::compute_ap`: sentinels
 * mrec = [0, r…, 1] and mpre = [1, p…, 0], the precision envelope (running max from the right),
 * then the trapezoid integral of its interpolation at 101 recall points (the "interp" method).
 */
export function computeAp(recall: ArrayLike<number>, precision: ArrayLike<number>): { ap: number; mrec: Float64Array; mpre: Float64Array } {
  const n = recall.length;
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mrec[0] = 0;
  mpre[0] = 1;
  for (let i = 0; i < n; i++) {
    mrec[i + 1] = recall[i]!;
    mpre[i + 1] = precision[i]!;
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  for (let i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
  const y = RECALL_POINTS.map((x) => interp(x, mrec, mpre));
  return { ap: trapz(y, RECALL_POINTS), mrec, mpre };
}

/** Ultralytics `smooth`: box filter over a fraction f of the curve, edges padded with the end values. */
export function smooth(y: ArrayLike<number>, f = 0.05): Float64Array {
  const nf = Math.floor(roundHalfEven(y.length * f * 2) / 2) + 1; // odd filter length
  const half = Math.floor(nf / 2);
  const padded = new Float64Array(y.length + 2 * half);
  padded.fill(y[0]!, 0, half);
  for (let i = 0; i < y.length; i++) padded[half + i] = y[i]!;
  padded.fill(y[y.length - 1]!, half + y.length);
  const w = 1 / nf;
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let s = 0;
    for (let k = 0; k < nf; k++) s += padded[i + k]! * w;
    out[i] = s;
  }
  return out;
}

export interface ApPerClassResult {
  /** Classes present in the targets, ascending (Ultralytics `unique_classes`). */
  classes: Int32Array;
  /** Label count of each class. */
  nt: Int32Array;
  /** Number of IoU thresholds (columns of tp and ap). */
  nIou: number;
  /** AP per class and IoU threshold, classes × nIou row-major. */
  ap: Float64Array;
  /** Precision, recall and F1 per class at the confidence of maximal smoothed mean F1. */
  p: Float64Array;
  r: Float64Array;
  f1: Float64Array;
  /** Index into `px` of that confidence. */
  f1Index: number;
  /** Confidence axis of the curves, linspace(0, 1, 1000); also the recall axis of `prCurve`. */
  px: Float64Array;
  /** Per-class curves over px, classes × 1000: precision, recall, F1 vs confidence. */
  pCurve: Float64Array;
  rCurve: Float64Array;
  f1Curve: Float64Array;
  /** Precision envelope at IoU 0.5 vs recall (the PR-curve plot), classes × 1000. */
  prCurve: Float64Array;
}

/**
 * Per-class AP, like Ultralytics `utils/metrics.py::ap_per_class`.
 * `tp` is N×nIou (row-major, 1 = true positive), `conf` / `predCls` have N entries; `targetCls`
 * lists the class of every label. Only classes that have labels are scored: predictions of
 * other classes are ignored, and a labelled class without predictions scores 0.
 */
export function apPerClass(
  tp: ArrayLike<number>,
  conf: ArrayLike<number>,
  predCls: ArrayLike<number>,
  targetCls: ArrayLike<number>,
  nIou = 10,
  eps = 1e-16,
): ApPerClassResult {
  const n = conf.length;
  if (tp.length !== n * nIou || predCls.length !== n) {
    throw new RangeError(`apPerClass: tp has ${tp.length} values, conf ${n}, predCls ${predCls.length}; expected tp = N×${nIou}`);
  }
  const order = argsortDescending(conf);
  const counts = new Map<number, number>();
  for (let i = 0; i < targetCls.length; i++) counts.set(targetCls[i]!, (counts.get(targetCls[i]!) ?? 0) + 1);
  const classes = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  const nc = classes.length;
  const nt = Int32Array.from(classes, (c) => counts.get(c)!);
  const px = linspace(0, 1, CURVE_POINTS);
  const ap = new Float64Array(nc * nIou);
  const pCurve = new Float64Array(nc * CURVE_POINTS);
  const rCurve = new Float64Array(nc * CURVE_POINTS);
  const prCurve = new Float64Array(nc * CURVE_POINTS);

  const sorted = Array.from(order);
  for (let ci = 0; ci < nc; ci++) {
    const sel = sorted.filter((i) => predCls[i] === classes[ci]);
    const npred = sel.length;
    const nl = nt[ci]!;
    if (npred === 0 || nl === 0) continue;
    const negConf = Float64Array.from(sel, (i) => -conf[i]!); // ascending, as np.interp needs
    const recall = new Float64Array(npred * nIou);
    const precision = new Float64Array(npred * nIou);
    for (let j = 0; j < nIou; j++) {
      let tpc = 0;
      let fpc = 0;
      for (let k = 0; k < npred; k++) {
        const hit = tp[sel[k]! * nIou + j]!;
        tpc += hit;
        fpc += 1 - hit;
        recall[j * npred + k] = tpc / (nl + eps);
        precision[j * npred + k] = tpc / (tpc + fpc);
      }
    }
    const r0 = recall.subarray(0, npred);
    const p0 = precision.subarray(0, npred);
    for (let q = 0; q < CURVE_POINTS; q++) {
      rCurve[ci * CURVE_POINTS + q] = interp(-px[q]!, negConf, r0, 0);
      pCurve[ci * CURVE_POINTS + q] = interp(-px[q]!, negConf, p0, 1);
    }
    for (let j = 0; j < nIou; j++) {
      const { ap: a, mrec, mpre } = computeAp(recall.subarray(j * npred, (j + 1) * npred), precision.subarray(j * npred, (j + 1) * npred));
      ap[ci * nIou + j] = a;
      if (j === 0) for (let q = 0; q < CURVE_POINTS; q++) prCurve[ci * CURVE_POINTS + q] = interp(px[q]!, mrec, mpre);
    }
  }

  const f1Curve = pCurve.map((p, k) => (2 * p * rCurve[k]!) / (p + rCurve[k]! + eps));
  // Mean over classes, accumulated class by class as numpy reduces axis 0.
  const meanF1 = new Float64Array(CURVE_POINTS);
  for (let ci = 0; ci < nc; ci++) for (let q = 0; q < CURVE_POINTS; q++) meanF1[q]! += f1Curve[ci * CURVE_POINTS + q]!;
  for (let q = 0; q < CURVE_POINTS; q++) meanF1[q] = meanF1[q]! / nc;
  const smoothed = smooth(meanF1, 0.1);
  let f1Index = 0;
  for (let q = 1; q < CURVE_POINTS; q++) if (smoothed[q]! > smoothed[f1Index]!) f1Index = q;
  const at = (curve: Float64Array) => Float64Array.from(classes, (_, ci) => curve[ci * CURVE_POINTS + f1Index]!);
  return {
    classes, nt, nIou, ap, p: at(pCurve), r: at(rCurve), f1: at(f1Curve), f1Index,
    px, pCurve, rCurve, f1Curve, prCurve,
  };
}
