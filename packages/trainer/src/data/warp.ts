// cv2.warpAffine / cv2.warpPerspective with INTER_LINEAR and a constant border, as Ultralytics'
// RandomPerspective calls them (borderValue 114). Bit-exact with OpenCV's float32 warp kernels
// (OpenCV ≥ 4.11 and 5.x; warp.test.ts checks against cv2 5.0): the inverse matrix maps each output
// pixel to a float32 source position, the 2×2 neighbours are blended by float32 lerps, neighbours
// outside the image take the border value, and the result is rounded half to even. OpenCV ≤ 4.10
// (Ultralytics 8.1/8.2's era) snapped positions to 1/32 pixel first; that moves values by a level or two.
import type { RgbImage } from '@acmix-lab/yolo/image';

const f = Math.fround;

/** Inverse of a row-major 3×3 matrix (zero matrix if singular, as OpenCV leaves it). */
export function invert3x3(m: ArrayLike<number>): number[] {
  const [a, b, c, d, e, g, h, i, k] = Array.from(m) as [number, number, number, number, number, number, number, number, number];
  const A = e * k - g * i;
  const B = -(d * k - g * h);
  const C = d * i - e * h;
  const det = a * A + b * B + c * C;
  if (det === 0) return [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const s = 1 / det;
  return [
    A * s, -(b * k - c * i) * s, (b * g - c * e) * s,
    B * s, (a * k - c * h) * s, -(a * g - c * d) * s,
    C * s, -(a * i - b * h) * s, (a * e - b * d) * s,
  ];
}

/** OpenCV's float32 bilinear blend of a 2×2 block, rounded half to even (inputs are bytes, so no clamping). */
function blend(v00: number, v01: number, v10: number, v11: number, ax: number, ay: number): number {
  const top = f(v00 + f(ax * (v01 - v00)));
  const bottom = f(v10 + f(ax * (v11 - v10)));
  const v = f(top + f(ay * f(bottom - top)));
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/**
 * Warp `img` by the forward 3×3 matrix `m` (row-major, maps source to output pixels) into an
 * outWidth×outHeight image. `perspective` false skips the homogeneous divide (warpAffine); Ultralytics
 * picks warpAffine whenever its perspective hyperparameter is 0.
 */
export function warpImage(img: RgbImage, m: ArrayLike<number>, outWidth: number, outHeight: number, perspective: boolean, border = 114): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const inv = invert3x3(m).map(f);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = inv as [number, number, number, number, number, number, number, number, number];
  const px = (x: number, y: number, c: number) => (x >= 0 && y >= 0 && x < w && y < h ? data[(y * w + x) * 3 + c]! : border);
  // The float32 products m·x do not depend on the row: compute them once per column.
  const m0x = new Float32Array(outWidth);
  const m3x = new Float32Array(outWidth);
  const m6x = new Float32Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    m0x[x] = m0 * x;
    m3x[x] = m3 * x;
    m6x[x] = m6 * x;
  }
  for (let y = 0; y < outHeight; y++) {
    const m1y = f(m1 * y);
    const m4y = f(m4 * y);
    const m7y = f(m7 * y);
    for (let x = 0; x < outWidth; x++) {
      let sx = f(f(m0x[x]! + m1y) + m2);
      let sy = f(f(m3x[x]! + m4y) + m5);
      if (perspective) {
        const W = f(f(m6x[x]! + m7y) + m8);
        sx = f(sx / W);
        sy = f(sy / W);
      }
      const o = (y * outWidth + x) * 3;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (!(x0 >= -1 && y0 >= -1 && x0 < w && y0 < h)) {
        out[o] = out[o + 1] = out[o + 2] = border; // also catches NaN from a zero divisor
        continue;
      }
      const ax = f(sx - x0);
      const ay = f(sy - y0);
      if (x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1) {
        const p = (y0 * w + x0) * 3;
        const q = p + w * 3;
        out[o] = blend(data[p]!, data[p + 3]!, data[q]!, data[q + 3]!, ax, ay);
        out[o + 1] = blend(data[p + 1]!, data[p + 4]!, data[q + 1]!, data[q + 4]!, ax, ay);
        out[o + 2] = blend(data[p + 2]!, data[p + 5]!, data[q + 2]!, data[q + 5]!, ax, ay);
      } else {
        for (let c = 0; c < 3; c++) out[o + c] = blend(px(x0, y0, c), px(x0 + 1, y0, c), px(x0, y0 + 1, c), px(x0 + 1, y0 + 1, c), ax, ay);
      }
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}
