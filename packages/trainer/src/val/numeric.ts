// The few numpy primitives the metrics are defined with, reproduced operation for operation so
// that AP values agree with Ultralytics / pycocotools to the last bit where the order of
// floating-point operations is known (linspace, interp, trapz, sum, searchsorted).

/** numpy.linspace(start, stop, num): `i·step + start`, the last point set to `stop` exactly. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Index of the last element ≤ key in non-decreasing `xs` (−1 when key < xs[0]). */
function lastAtMost(xs: ArrayLike<number>, key: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key >= xs[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * numpy.interp(x, xp, fp, left, right) for non-decreasing xp. numpy's rule for repeated xp
 * values matters for recall curves: at x equal to a repeated xp it returns the fp of the LAST
 * repeat, and between points it interpolates from the last xp ≤ x.
 */
export function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>, left?: number, right?: number): number {
  const n = xp.length;
  if (x > xp[n - 1]!) return right ?? fp[n - 1]!;
  if (x < xp[0]!) return left ?? fp[0]!;
  const j = lastAtMost(xp, x);
  if (j === n - 1 || xp[j] === x) return fp[j]!;
  const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
  return slope * (x - xp[j]!) + fp[j]!;
}

/** numpy's pairwise summation (add.reduce on a contiguous float64 array). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** numpy.trapz(y, x) (numpy.trapezoid in numpy 2). */
export function trapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  const terms = new Float64Array(Math.max(0, y.length - 1));
  for (let i = 0; i < terms.length; i++) terms[i] = ((x[i + 1]! - x[i]!) * (y[i + 1]! + y[i]!)) / 2.0;
  return pairwiseSum(terms);
}

/** numpy.mean of a 1-D array (pairwise sum, then divide); NaN for an empty array. */
export function mean(a: ArrayLike<number>): number {
  return pairwiseSum(a) / a.length;
}

/** numpy.searchsorted(a, v, side='left') for non-decreasing a: first index with a[i] ≥ v. */
export function searchsortedLeft(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Indices that sort `keys` descending; ties keep input order (a stable sort of −key). */
export function argsortDescending(keys: ArrayLike<number>): Int32Array {
  const idx = Int32Array.from({ length: keys.length }, (_, i) => i);
  return idx.sort((a, b) => keys[b]! - keys[a]! || a - b);
}
