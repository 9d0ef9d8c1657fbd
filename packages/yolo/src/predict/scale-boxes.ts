import { pythonRound } from '../image/letterbox.js';

/** How an image was letterboxed: its gain (new / old) and the [x, y] shift of the content. */
export interface RatioPad {
  gain: number;
  pad: [number, number];
}

const f32 = Math.fround;

/**
 * Ultralytics `utils/ops.py::scale_boxes` + `clip_boxes`: xyxy boxes predicted on a letterboxed
 * input of [height, width] `inputShape`, back to the original image of [height, width]
 * `originalShape`, clipped to it. Without `ratioPad` the gain and padding are recomputed from the
 * two shapes exactly as scale_boxes does (`round(pad / 2 - 0.1)`, Python rounding), which is what
 * LetterBox produced. `rows` holds `cols` values per box with xyxy first (NMS rows: 6); other
 * columns are copied. Arithmetic is float32, as on the torch tensors.
 */
export function scaleBoxes(
  rows: Float32Array,
  inputShape: readonly [number, number],
  originalShape: readonly [number, number],
  opts: { ratioPad?: RatioPad; cols?: number } = {},
): Float32Array {
  const { cols = 6 } = opts;
  const [h1, w1] = inputShape;
  const [h0, w0] = originalShape;
  let gain: number;
  let pad: [number, number];
  if (opts.ratioPad) {
    ({ gain, pad } = opts.ratioPad);
  } else {
    gain = Math.min(h1 / h0, w1 / w0);
    pad = [pythonRound((w1 - w0 * gain) / 2 - 0.1), pythonRound((h1 - h0 * gain) / 2 - 0.1)];
  }
  const g = f32(gain);
  const out = rows.slice();
  for (let i = 0; i + 4 <= out.length; i += cols) {
    for (let q = 0; q < 4; q++) {
      const limit = q % 2 === 0 ? w0 : h0;
      const v = f32(f32(out[i + q]! - pad[q % 2]!) / g);
      out[i + q] = Math.min(Math.max(v, 0), limit);
    }
  }
  return out;
}
