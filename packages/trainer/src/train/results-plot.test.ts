import { describe, expect, it } from 'vitest';
import { gaussianSmooth, renderResultsPng } from './results-plot.js';
import { RESULTS_COLUMNS, type ResultsRow } from './results-csv.js';

describe('results plot', () => {
  it('smooths like scipy.ndimage.gaussian_filter1d(sigma=3, mode=reflect)', () => {
    // python3 -c "from scipy.ndimage import gaussian_filter1d; print(list(gaussian_filter1d([1.,2,5,3,4,8,2],3)))"
    const scipy = [2.957518756693241, 3.093026118947159, 3.326827720512805, 3.5994382935031064, 3.850953158307756, 4.037371067542737, 4.134864884493199];
    gaussianSmooth([1, 2, 5, 3, 4, 8, 2]).forEach((v, i) => expect(v).toBeCloseTo(scipy[i]!, 9));
  });

  it('renders a PNG of ten panels', () => {
    const rows = [1, 2, 3].map((epoch) => Object.fromEntries(RESULTS_COLUMNS.map((c) => [c, c === 'epoch' ? epoch : 1 / epoch])) as ResultsRow);
    const png = renderResultsPng(rows);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1800); // IHDR width: 5 panels × 360 px
    expect(png.readUInt32BE(20)).toBe(540);
  });
});
