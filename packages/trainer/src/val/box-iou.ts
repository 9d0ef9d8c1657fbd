/**
 * Pairwise IoU of xyxy boxes, like Ultralytics `utils/metrics.py::box_iou`: `a` is N×4 and `b` is
 * M×4 (row-major, flat); the result is N×M row-major. `eps` joins the union as Ultralytics adds it,
 * so two empty boxes give 0, not NaN. Computed in float64 (Ultralytics uses float32 tensors).
 */
export function boxIou(a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-7): Float64Array {
  const n = a.length / 4;
  const m = b.length / 4;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const ax1 = a[4 * i]!, ay1 = a[4 * i + 1]!, ax2 = a[4 * i + 2]!, ay2 = a[4 * i + 3]!;
    const areaA = (ax2 - ax1) * (ay2 - ay1);
    for (let j = 0; j < m; j++) {
      const bx1 = b[4 * j]!, by1 = b[4 * j + 1]!, bx2 = b[4 * j + 2]!, by2 = b[4 * j + 3]!;
      const w = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0);
      const h = Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
      const inter = w * h;
      out[i * m + j] = inter / (areaA + (bx2 - bx1) * (by2 - by1) - inter + eps);
    }
  }
  return out;
}
