// Ultralytics' LetterBox (ultralytics/data/augment.py, v8.1/8.2): scale to fit newShape keeping the
// aspect ratio, resize with cv2 INTER_LINEAR, then pad with grey 114. Python's round() (half to even)
// and the ±0.1 nudges decide how an odd padding splits between the two sides.
import { resizeBilinear } from './resize.js';
import type { RgbImage } from './rgb-image.js';

export interface LetterboxOptions {
  /** Padding grey level (Ultralytics 114). */
  color?: number;
  /** Pad only to the next multiple of `stride` (minimum rectangle) instead of to newShape. */
  auto?: boolean;
  /** Stretch to newShape without keeping the aspect ratio. */
  scaleFill?: boolean;
  /** Allow enlarging; false only shrinks (Ultralytics' validation setting). */
  scaleup?: boolean;
  /** Split padding between both sides; false puts the image top-left. */
  center?: boolean;
  stride?: number;
}

export interface LetterboxResult {
  image: RgbImage;
  /** [width ratio, height ratio] from the original to the resized content. */
  ratio: [number, number];
  /**
   * [dw, dh]: the shift Ultralytics applies to boxes (half the total padding when centred, a float).
   * With center false the content sits at the top-left and the shift is [0, 0] (v8.2 shifted boxes
   * by the full padding there, away from the pixels).
   */
  pad: [number, number];
  /** Whole-pixel borders actually added; scale_boxes undoes [left, top]. */
  border: { top: number; bottom: number; left: number; right: number };
}

/** Python 3 round(): nearest integer, ties to even. */
export function pythonRound(x: number): number {
  const r = Math.round(x);
  return (r - x === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0; // + 0 turns -0 into 0
}

function pythonMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** newShape is a square side or [height, width] (Ultralytics' order). */
export function letterbox(img: RgbImage, newShape: number | [number, number], options: LetterboxOptions = {}): LetterboxResult {
  const { color = 114, auto = false, scaleFill = false, scaleup = true, center = true, stride = 32 } = options;
  const [newH, newW] = typeof newShape === 'number' ? [newShape, newShape] : newShape;
  const { width: w, height: h } = img;
  if (w < 1 || h < 1) throw new RangeError(`cannot letterbox an empty ${w}×${h} image`);

  let r = Math.min(newH / h, newW / w);
  if (!scaleup) r = Math.min(r, 1);
  let ratio: [number, number] = [r, r];
  let unpadW = pythonRound(w * r);
  let unpadH = pythonRound(h * r);
  let dw = newW - unpadW;
  let dh = newH - unpadH;
  if (auto) {
    dw = pythonMod(dw, stride);
    dh = pythonMod(dh, stride);
  } else if (scaleFill) {
    dw = 0;
    dh = 0;
    unpadW = newW;
    unpadH = newH;
    ratio = [newW / w, newH / h];
  }
  if (center) {
    dw /= 2;
    dh /= 2;
  }
  const resized = unpadW !== w || unpadH !== h ? resizeBilinear(img, unpadW, unpadH) : img;
  const top = center ? pythonRound(dh - 0.1) : 0;
  const bottom = pythonRound(dh + 0.1);
  const left = center ? pythonRound(dw - 0.1) : 0;
  const right = pythonRound(dw + 0.1);

  const outW = left + unpadW + right;
  const outH = top + unpadH + bottom;
  const data = new Uint8Array(outW * outH * 3).fill(color);
  const srcRow = unpadW * 3;
  for (let y = 0; y < unpadH; y++) {
    data.set(resized.data.subarray(y * srcRow, (y + 1) * srcRow), ((top + y) * outW + left) * 3);
  }
  return {
    image: { width: outW, height: outH, data },
    ratio,
    pad: center ? [dw, dh] : [0, 0],
    border: { top, bottom, left, right },
  };
}
