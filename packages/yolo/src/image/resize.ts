// Bilinear resize that follows OpenCV's cv2.resize(..., INTER_LINEAR) for 8-bit images, which both
// Ultralytics' load_image and LetterBox use:
//  - half-pixel centres: source x = (dx + 0.5)·(srcW/dstW) − 0.5, computed in float32, clamped to the
//    edge pixel (no antialiasing when shrinking, exactly like cv2);
//  - weights quantised to 11 bits (INTER_RESIZE_COEF_SCALE 2048), an exact integer horizontal pass,
//    and the vertical pass rounded as OpenCV's vectorised path does ((b·(s>>4))>>16 summed, +2, >>2).
// OpenCV's scalar tail, its exact-2× shrink shortcut (INTER_AREA) and newer versions' rounding of exact
// .5 blends can differ by one level; resize.test.ts bounds that against cv2 fixtures.
import type { RgbImage } from './rgb-image.js';

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/** Round half to even, like cvRound / lrint in the default rounding mode. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface Taps {
  index: Int32Array; // first source index per output position
  w0: Int32Array; // weight of index
  w1: Int32Array; // weight of index + 1 (0 at the clamped edges)
}

function taps(srcSize: number, dstSize: number): Taps {
  const scale = srcSize / dstSize;
  const index = new Int32Array(dstSize);
  const w0 = new Int32Array(dstSize);
  const w1 = new Int32Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    let f = Math.fround(Math.fround((d + 0.5) * scale) - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= srcSize - 1) {
      s = srcSize - 1;
      f = 0;
    }
    index[d] = s;
    w0[d] = roundEven(Math.fround(1 - f) * COEF_SCALE);
    w1[d] = roundEven(f * COEF_SCALE);
  }
  return { index, w0, w1 };
}

/** Resize to dstWidth×dstHeight with cv2 INTER_LINEAR semantics (see the file comment). */
export function resizeBilinear(img: RgbImage, dstWidth: number, dstHeight: number): RgbImage {
  if (!Number.isInteger(dstWidth) || !Number.isInteger(dstHeight) || dstWidth < 1 || dstHeight < 1) {
    throw new RangeError(`resize target must be positive integers, got ${dstWidth}×${dstHeight}`);
  }
  const { width: sw, height: sh, data: src } = img;
  if (sw < 1 || sh < 1) throw new RangeError(`cannot resize an empty ${sw}×${sh} image`);
  if (sw === dstWidth && sh === dstHeight) return { width: sw, height: sh, data: src.slice() };

  const xt = taps(sw, dstWidth);
  const yt = taps(sh, dstHeight);
  const rowLen = dstWidth * 3;
  // Horizontal pass once per source row that the vertical pass reads (exact integers).
  const rowOf = new Int32Array(sh).fill(-1);
  let rows = 0;
  for (let dy = 0; dy < dstHeight; dy++) {
    const sy = yt.index[dy]!;
    if (rowOf[sy] === -1) rowOf[sy] = rows++;
    if (yt.w1[dy] && rowOf[sy + 1] === -1) rowOf[sy + 1] = rows++;
  }
  const hbuf = new Int32Array(rows * rowLen);
  const srcOff = new Int32Array(dstWidth);
  const nextOff = new Int32Array(dstWidth);
  for (let dx = 0; dx < dstWidth; dx++) {
    srcOff[dx] = xt.index[dx]! * 3;
    nextOff[dx] = xt.w1[dx] ? 3 : 0;
  }
  for (let sy = 0; sy < sh; sy++) {
    const r = rowOf[sy]!;
    if (r < 0) continue;
    const base = sy * sw * 3;
    const o = r * rowLen;
    for (let dx = 0, j = o; dx < dstWidth; dx++, j += 3) {
      const p = base + srcOff[dx]!;
      const q = p + nextOff[dx]!;
      const a0 = xt.w0[dx]!;
      const a1 = xt.w1[dx]!;
      hbuf[j] = src[p]! * a0 + src[q]! * a1;
      hbuf[j + 1] = src[p + 1]! * a0 + src[q + 1]! * a1;
      hbuf[j + 2] = src[p + 2]! * a0 + src[q + 2]! * a1;
    }
  }

  const out = new Uint8Array(dstHeight * rowLen);
  for (let dy = 0; dy < dstHeight; dy++) {
    const sy = yt.index[dy]!;
    const b0 = yt.w0[dy]!;
    const b1 = yt.w1[dy]!;
    const r0 = rowOf[sy]! * rowLen;
    const r1 = b1 ? rowOf[sy + 1]! * rowLen : r0;
    const o = dy * rowLen;
    for (let x = 0; x < rowLen; x++) {
      const v = (((b0 * (hbuf[r0 + x]! >> 4)) >> 16) + ((b1 * (hbuf[r1 + x]! >> 4)) >> 16) + 2) >> 2;
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { width: dstWidth, height: dstHeight, data: out };
}
