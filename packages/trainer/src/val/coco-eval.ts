// COCO bbox evaluation, a port of pycocotools `cocoeval.py::COCOeval` (evaluate → evaluateImg,
// accumulate, summarize) with the default detection Params, and of `maskApi.c::bbIou`.
import { sortIds, type Bbox, type CocoDataset, type CocoDetection, type ImageId } from './coco-format.js';
import { argsortDescending, linspace, mean, searchsortedLeft } from './numeric.js';

const AREA_RANGES: readonly (readonly [number, number])[] = [[0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e10]];
const AREA_LABELS = ['all', 'small', 'medium', 'large'] as const;
const MAX_DETS = [1, 10, 100];

export interface CocoEvalResult {
  /** The 12 numbers COCOeval.summarize() prints, in its order (AP 50:95, AP50, AP75, AP S/M/L, AR 1/10/100, AR S/M/L). */
  stats: number[];
  /** stats[0]: AP at IoU 0.50:0.95, area all, maxDets 100. */
  map50_95: number;
  /** stats[1]: AP at IoU 0.50, area all, maxDets 100. */
  map50: number;
  /** Dimensions [T, R, K, A, M] of `precision` (row-major); `recall` is [T, K, A, M]. −1 marks "no ground truth". */
  counts: [number, number, number, number, number];
  precision: Float64Array;
  recall: Float64Array;
  imgIds: ImageId[];
  catIds: number[];
}

interface Gt { id: number; bbox: Bbox; area: number; iscrowd: boolean }
interface Dt { id: number; bbox: Bbox; area: number; score: number }
interface ImageEval { dtScores: number[]; dtMatches: Float64Array; dtIgnore: Uint8Array; gtIgnore: Uint8Array }

/** maskApi.c bbIou: D×G, row-major; a crowd gt's IoU is intersection / area(det). */
function bbIou(dt: Dt[], gt: Gt[]): Float64Array {
  const out = new Float64Array(dt.length * gt.length);
  gt.forEach((g, gi) => {
    const [gx, gy, gw, gh] = g.bbox;
    const ga = gw * gh;
    dt.forEach((d, di) => {
      const [dx, dy, dw, dh] = d.bbox;
      const da = dw * dh;
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w <= 0) return;
      const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (h <= 0) return;
      const i = w * h;
      out[di * gt.length + gi] = i / (g.iscrowd ? da : da + ga - i);
    });
  });
  return out;
}

/** Detections of one image × category by score, stable (pycocotools sorts with mergesort). */
function byScore(dts: Dt[], maxDet: number): Dt[] {
  return Array.from(argsortDescending(dts.map((d) => d.score)).subarray(0, maxDet), (i) => dts[i]!);
}

/** COCOeval.evaluateImg for one image, category and area range (maxDet = the largest). */
function evaluateImg(gts: Gt[], dts: Dt[], ious: Float64Array | null, [lo, hi]: readonly [number, number], iouThrs: Float64Array, maxDet: number): ImageEval | null {
  if (gts.length === 0 && dts.length === 0) return null;
  const ignoreOf = (g: Gt) => (g.iscrowd || g.area < lo || g.area > hi ? 1 : 0);
  // Non-ignored gt first, stable (mergesort on the ignore flag).
  const gtOrder = [...gts.keys()].sort((a, b) => ignoreOf(gts[a]!) - ignoreOf(gts[b]!) || a - b);
  const gt = gtOrder.map((i) => gts[i]!);
  const dt = byScore(dts, maxDet);
  const T = iouThrs.length;
  const G = gt.length;
  const D = dt.length;
  const gtm = new Float64Array(T * G);
  const dtm = new Float64Array(T * D);
  const dtIg = new Uint8Array(T * D);
  const gtIg = Uint8Array.from(gt, ignoreOf);
  if (ious) {
    const nG = gts.length;
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let iou = Math.min(iouThrs[t]!, 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          if (gtm[t * G + g]! > 0 && !gt[g]!.iscrowd) continue; // matched, not a crowd
          if (m > -1 && gtIg[m] === 0 && gtIg[g] === 1) break; // regular match made; ignored gts follow
          const v = ious[d * nG + gtOrder[g]!]!;
          if (v < iou) continue;
          iou = v;
          m = g;
        }
        if (m === -1) continue;
        dtIg[t * D + d] = gtIg[m]!;
        dtm[t * D + d] = gt[m]!.id;
        gtm[t * G + m] = dt[d]!.id;
      }
    }
  }
  // Unmatched detections outside the area range are ignored. A match to gt id 0 counts as
  // unmatched here and in accumulate, exactly as pycocotools' `dtm == 0` tests do.
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < D; d++) {
      const a = dt[d]!.area;
      if (dtm[t * D + d] === 0 && (a < lo || a > hi)) dtIg[t * D + d] = 1;
    }
  }
  return { dtScores: dt.map((d) => d.score), dtMatches: dtm, dtIgnore: dtIg, gtIgnore: gtIg };
}

/**
 * pycocotools COCOeval(gt, loadRes(dets), 'bbox') → evaluate(), accumulate(), summarize().
 * Images and categories are those listed in the ground truth (sorted); annotations and
 * detections of other categories are left out, as pycocotools' getAnnIds filter does.
 * Detections get ids 1…N in file order and area = w·h, as loadRes assigns them.
 */
export function cocoEvaluate(gt: CocoDataset, dets: CocoDetection[], opts: { iouType: 'bbox' } = { iouType: 'bbox' }): CocoEvalResult {
  if (opts.iouType !== 'bbox') throw new RangeError(`cocoEvaluate: iouType ${String(opts.iouType)} is not supported (bbox only)`);
  const iouThrs = linspace(0.5, 0.95, 10);
  const recThrs = linspace(0, 1, 101);
  const imgIds = sortIds(gt.images.map((im) => im.id));
  const catIds = sortIds(gt.categories.map((c) => c.id));
  const imgSet = new Set<ImageId>(imgIds);
  const catSet = new Set(catIds);
  const key = (img: ImageId, cat: number) => `${typeof img}:${String(img)}:${cat}`;
  const gts = new Map<string, Gt[]>();
  const dtsOf = new Map<string, Dt[]>();
  const push = <V>(map: Map<string, V[]>, k: string, v: V) => (map.get(k) ?? map.set(k, []).get(k)!).push(v);
  for (const a of gt.annotations) {
    if (imgSet.has(a.image_id) && catSet.has(a.category_id)) {
      push(gts, key(a.image_id, a.category_id), { id: a.id, bbox: a.bbox, area: a.area, iscrowd: a.iscrowd === 1 });
    }
  }
  dets.forEach((d, i) => {
    if (imgSet.has(d.image_id) && catSet.has(d.category_id)) {
      push(dtsOf, key(d.image_id, d.category_id), { id: i + 1, bbox: d.bbox, area: d.bbox[2] * d.bbox[3], score: d.score });
    }
  });

  const maxDet = MAX_DETS[MAX_DETS.length - 1]!;
  const [T, R, K, A, M] = [iouThrs.length, recThrs.length, catIds.length, AREA_RANGES.length, MAX_DETS.length];
  // evalImgs[k][a][i], as pycocotools orders them (category, area range, image).
  const evalImgs = catIds.map((cat) => {
    const perImage = imgIds.map((img) => {
      const g = gts.get(key(img, cat)) ?? [];
      const d = byScore(dtsOf.get(key(img, cat)) ?? [], maxDet);
      return { g, d, ious: g.length && d.length ? bbIou(d, g) : null };
    });
    return AREA_RANGES.map((rng) => perImage.map(({ g, d, ious }) => evaluateImg(g, d, ious, rng, iouThrs, maxDet)));
  });

  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E = evalImgs[k]![a]!.filter((e): e is ImageEval => e !== null);
      if (E.length === 0) continue;
      const npig = E.reduce((n, e) => n + e.gtIgnore.reduce((c, v) => c + (v === 0 ? 1 : 0), 0), 0);
      if (npig === 0) continue;
      for (let m = 0; m < M; m++) {
        const cap = MAX_DETS[m]!;
        const parts = E.map((e) => ({ e, n: Math.min(cap, e.dtScores.length) }));
        const scores = parts.flatMap(({ e, n }) => e.dtScores.slice(0, n));
        const inds = argsortDescending(scores);
        const nd = inds.length;
        for (let t = 0; t < T; t++) {
          const matched = new Float64Array(nd);
          const ignored = new Uint8Array(nd);
          let o = 0;
          for (const { e, n } of parts) {
            const D = e.dtScores.length;
            for (let d = 0; d < n; d++, o++) {
              matched[o] = e.dtMatches[t * D + d]!;
              ignored[o] = e.dtIgnore[t * D + d]!;
            }
          }
          const rc = new Float64Array(nd);
          const pr = new Float64Array(nd);
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const i = inds[j]!;
            if (!ignored[i]) {
              if (matched[i] !== 0) tp += 1;
              else fp += 1;
            }
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + Number.EPSILON); // np.spacing(1)
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1]! : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j]! > pr[j - 1]!) pr[j - 1] = pr[j]!;
          for (let r = 0; r < R; r++) {
            const pi = searchsortedLeft(rc, recThrs[r]!);
            precision[(((t * R + r) * K + k) * A + a) * M + m] = pi < nd ? pr[pi]! : 0;
          }
        }
      }
    }
  }

  const summarize = (ap: boolean, iouThr: number | null, area: (typeof AREA_LABELS)[number], maxDets: number): number => {
    const a = AREA_LABELS.indexOf(area);
    const m = MAX_DETS.indexOf(maxDets);
    const ts = [...iouThrs.keys()].filter((t) => iouThr === null || iouThrs[t] === iouThr);
    const values: number[] = [];
    for (const t of ts) {
      if (ap) for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) values.push(precision[(((t * R + r) * K + k) * A + a) * M + m]!);
      else for (let k = 0; k < K; k++) values.push(recall[((t * K + k) * A + a) * M + m]!);
    }
    const valid = values.filter((v) => v > -1);
    return valid.length ? mean(valid) : -1;
  };
  const stats = [
    summarize(true, null, 'all', 100), summarize(true, 0.5, 'all', 100), summarize(true, 0.75, 'all', 100),
    summarize(true, null, 'small', 100), summarize(true, null, 'medium', 100), summarize(true, null, 'large', 100),
    summarize(false, null, 'all', 1), summarize(false, null, 'all', 10), summarize(false, null, 'all', 100),
    summarize(false, null, 'small', 100), summarize(false, null, 'medium', 100), summarize(false, null, 'large', 100),
  ];
  return { stats, map50_95: stats[0]!, map50: stats[1]!, counts: [T, R, K, A, M], precision, recall, imgIds, catIds };
}
