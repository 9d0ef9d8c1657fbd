// Ultralytics' RandomHSV (ultralytics/data/augment.py, v8.1/8.2): gains r = 1 + U(-1, 1)·(hsv_h, hsv_s,
// hsv_v); the image goes to OpenCV's 8-bit HSV (H in 0..179), each channel through a lookup table
// (hue: (x·r) mod 180, saturation and value: clip(x·r, 0, 255), truncated to integers), and back.
// The two conversions follow OpenCV's 8-bit code (imgproc color_hsv): RGB→HSV in 12-bit fixed point
// with its division tables, HSV→RGB in float32 with the sector table.
import type { RgbImage } from '@acmix-lab/yolo/image';
import type { Rng } from './random.js';

const HSV_SHIFT = 12;
const HSV_ROUND = 1 << (HSV_SHIFT - 1);
// cv::saturate_cast<int>(double) rounds half to even; none of these quotients is an exact .5.
const SDIV = new Int32Array(256);
const HDIV = new Int32Array(256);
for (let i = 1; i < 256; i++) {
  SDIV[i] = Math.round((255 << HSV_SHIFT) / i);
  HDIV[i] = Math.round((180 << HSV_SHIFT) / (6 * i));
}

/** OpenCV COLOR_RGB2HSV for 8-bit images: out[0] = H (0..179), S, V. */
export function rgbToHsv(src: Uint8Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i += 3) {
    const r = src[i]!;
    const g = src[i + 1]!;
    const b = src[i + 2]!;
    const v = Math.max(r, g, b);
    const diff = v - Math.min(r, g, b);
    const s = (diff * SDIV[v]! + HSV_ROUND) >> HSV_SHIFT;
    let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
    h = (h * HDIV[diff]! + HSV_ROUND) >> HSV_SHIFT;
    if (h < 0) h += 180;
    out[i] = h;
    out[i + 1] = s;
    out[i + 2] = v;
  }
  return out;
}

// Which of tab[0..3] = (v, v(1-s), v(1-s·f), v(1-s(1-f))) is b, g, r in each 60° sector.
const SECTOR = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]] as const;

/** OpenCV COLOR_HSV2RGB for 8-bit images (float32 arithmetic, saturate_cast rounding). */
export function hsvToRgb(src: Uint8Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  const f = Math.fround;
  const hscale = f(6 / 180);
  const inv255 = f(1 / 255);
  const tab = new Float32Array(4);
  const toByte = (x: number) => {
    const y = f(x * 255);
    const r = Math.round(y);
    const even = r - y === 0.5 && r % 2 !== 0 ? r - 1 : r; // cvRound: half to even
    return even < 0 ? 0 : even > 255 ? 255 : even;
  };
  for (let i = 0; i < src.length; i += 3) {
    const s = f(src[i + 1]! * inv255);
    const v = f(src[i + 2]! * inv255);
    let b: number;
    let g: number;
    let r: number;
    if (s === 0) {
      b = g = r = v;
    } else {
      let h = f(src[i]! * hscale);
      while (h >= 6) h = f(h - 6);
      let sector = Math.floor(h);
      h = f(h - sector);
      if (sector < 0 || sector >= 6) {
        sector = 0;
        h = 0;
      }
      tab[0] = v;
      tab[1] = f(v * f(1 - s));
      tab[2] = f(v * f(1 - f(s * h)));
      tab[3] = f(v * f(1 - f(s * f(1 - h))));
      const idx = SECTOR[sector]!;
      b = tab[idx[0]]!;
      g = tab[idx[1]]!;
      r = tab[idx[2]]!;
    }
    out[i] = toByte(r);
    out[i + 1] = toByte(g);
    out[i + 2] = toByte(b);
  }
  return out;
}

/** Apply fixed HSV gains through lookup tables, in place. */
export function applyHsvGains(img: RgbImage, gains: readonly [number, number, number]): void {
  const lutH = new Uint8Array(256);
  const lutS = new Uint8Array(256);
  const lutV = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    lutH[x] = Math.trunc((x * gains[0]) % 180);
    lutS[x] = Math.trunc(Math.min(255, Math.max(0, x * gains[1])));
    lutV[x] = Math.trunc(Math.min(255, Math.max(0, x * gains[2])));
  }
  const hsv = rgbToHsv(img.data);
  for (let i = 0; i < hsv.length; i += 3) {
    hsv[i] = lutH[hsv[i]!]!;
    hsv[i + 1] = lutS[hsv[i + 1]!]!;
    hsv[i + 2] = lutV[hsv[i + 2]!]!;
  }
  hsvToRgb(hsv, img.data);
}

export interface HsvHyp {
  hsv_h: number;
  hsv_s: number;
  hsv_v: number;
}

/** RandomHSV: draws the three gains and applies them (nothing at all when every gain is 0). */
export function randomHsv(img: RgbImage, hyp: HsvHyp, rng: Rng): void {
  if (!hyp.hsv_h && !hyp.hsv_s && !hyp.hsv_v) return;
  const gains: [number, number, number] = [
    rng.uniform(-1, 1) * hyp.hsv_h + 1,
    rng.uniform(-1, 1) * hyp.hsv_s + 1,
    rng.uniform(-1, 1) * hyp.hsv_v + 1,
  ];
  applyHsvGains(img, gains);
}
