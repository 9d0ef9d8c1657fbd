import { describe, expect, it } from 'vitest';
import { letterbox } from '../image/letterbox.js';
import { filledImage } from '../image/rgb-image.js';
import { scaleBoxes } from './scale-boxes.js';

describe('scaleBoxes', () => {
  it('undoes the letterbox of a 640×480 image into 640×640 and clips', () => {
    // gain 1, pad (0, 80): y shifts back by 80; a box reaching into the padding is clipped.
    const rows = Float32Array.from([10, 90, 110, 190, 0.9, 2, -5, 60, 30, 600, 0.5, 0]);
    expect(Array.from(scaleBoxes(rows, [640, 640], [480, 640]))).toEqual([10, 10, 110, 110, Math.fround(0.9), 2, 0, 0, 30, 480, 0.5, 0]);
  });

  it('agrees with letterbox for an odd shrink (gain < 1, odd padding split)', () => {
    const img = filledImage(333, 517);
    const lb = letterbox(img, 320, { auto: true, stride: 32 });
    const [h, w] = [lb.image.height, lb.image.width];
    // A box on the content's corners maps to the original image's corners.
    const corners = Float32Array.from([lb.border.left, lb.border.top, w - lb.border.right, h - lb.border.bottom, 1, 0]);
    const back = scaleBoxes(corners, [h, w], [517, 333]);
    expect(back[0]).toBeCloseTo(0, 4);
    expect(back[1]).toBeCloseTo(0, 4);
    expect(back[2]).toBeCloseTo(333, 0);
    expect(back[3]).toBeCloseTo(517, 4);
  });

  it('uses a given ratio and pad (validation passes them from the dataset)', () => {
    const back = scaleBoxes(Float32Array.from([12, 14, 22, 24]), [64, 64], [100, 100], { ratioPad: { gain: 0.5, pad: [2, 4] }, cols: 4 });
    expect(Array.from(back)).toEqual([20, 20, 40, 40]);
  });
});
