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

/** OpenCV's 8-bit RGB → HSV of one pixel, packed as h | s << 8 | v << 16 (H in 0..179). */
function rgbPixelToHsv(r: number, g: number, b: number): number {
  const v = Math.max(r, g, b);
  const diff = v - Math.min(r, g, b);
  const s = (diff * SDIV[v]! + HSV_ROUND) >> HSV_SHIFT;
  let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
  h = (h * HDIV[diff]! + HSV_ROUND) >> HSV_SHIFT;
  if (h < 0) h += 180;
  return h | (s << 8) | (v << 16);
}

/** OpenCV COLOR_RGB2HSV for 8-bit images: out[0] = H (0..179), S, V. */
export function rgbToHsv(src: Uint8Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i += 3) {
    const hsv = rgbPixelToHsv(src[i]!, src[i + 1]!, src[i + 2]!);
    out[i] = hsv & 255;
    out[i + 1] = (hsv >> 8) & 255;
    out[i + 2] = hsv >> 16;
  }
  return out;
}

// Per-byte float32 inputs of OpenCV's HSV2RGB_b: the hue's sector and fraction (h·6/180 in float32),
// and s/255, v/255 (multiplied by float32(1/255), as OpenCV does).
const H_SECTOR = new Int8Array(256);
const H_FRAC = new Float32Array(256);
const UNIT = new Float32Array(256);
{
  const f = Math.fround;
  const hscale = f(6 / 180);
  const inv255 = f(1 / 255);
  for (let x = 0; x < 256; x++) {
    let h = f(x * hscale);
    while (h >= 6) h = f(h - 6);
    const sector = Math.floor(h);
    H_SECTOR[x] = sector;
    H_FRAC[x] = f(h - sector);
    UNIT[x] = f(x * inv255);
  }
}

/** float32 in [0, 1] → byte as saturate_cast<uchar>(x·255): round half to even. */
function toByte(x: number): number {
  const y = Math.fround(x * 255);
  const r = Math.round(y);
  return r - y === 0.5 && (r & 1) ? r - 1 : r;
}

/** OpenCV COLOR_HSV2RGB for one 8-bit pixel (float32 arithmetic), written to out[o..o+2]. */
function hsvPixelToRgb(h: number, sByte: number, vByte: number, out: Uint8Array, o: number): void {
  const f = Math.fround;
  const v = UNIT[vByte]!;
  if (sByte === 0) {
    out[o] = out[o + 1] = out[o + 2] = toByte(v);
    return;
  }
  const s = UNIT[sByte]!;
  const frac = H_FRAC[h]!;
  const sector = H_SECTOR[h]!;
  // OpenCV's tab[0..3] = v, v(1 − s), v(1 − s·f), v(1 − s(1 − f)), assigned to r, g, b by 60° sector.
  const t0 = toByte(v);
  const t1 = toByte(f(v * f(1 - s)));
  const t2 = toByte(f(v * f(1 - f(s * frac))));
  const t3 = toByte(f(v * f(1 - f(s * f(1 - frac)))));
  let r: number, g: number, b: number;
  switch (sector) {
    case 0: r = t0; g = t3; b = t1; break;
    case 1: r = t2; g = t0; b = t1; break;
    case 2: r = t1; g = t0; b = t3; break;
    case 3: r = t1; g = t2; b = t0; break;
    case 4: r = t3; g = t1; b = t0; break;
    default: r = t0; g = t1; b = t2; break;
  }
  out[o] = r;
  out[o + 1] = g;
  out[o + 2] = b;
}

/** OpenCV COLOR_HSV2RGB for 8-bit images (float32 arithmetic, saturate_cast rounding). */
export function hsvToRgb(src: Uint8Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i += 3) hsvPixelToRgb(src[i]!, src[i + 1]!, src[i + 2]!, out, i);
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
  const data = img.data;
  for (let i = 0; i < data.length; i += 3) {
    const hsv = rgbPixelToHsv(data[i]!, data[i + 1]!, data[i + 2]!);
    hsvPixelToRgb(lutH[hsv & 255]!, lutS[(hsv >> 8) & 255]!, lutV[hsv >> 16]!, data, i);
  }
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
