import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { studentTCdf, studentTQuantile, studentTSf } from './student-t.js';
import { mean, sampleVariance, welchTTest } from './welch.js';

// tools/fixtures/welch_fixtures.py: scipy.stats.t and ttest_ind(equal_var=False).
const fixtures = JSON.parse(fs.readFileSync(new URL('../../fixtures/student-t.json', import.meta.url), 'utf8'));
const num = (v: number | string) => (typeof v === 'number' ? v : Number(v));

/** Relative agreement (absolute near zero), exact for infinities and NaN. */
function expectClose(got: number, want: number, rel: number, what: string) {
  if (!Number.isFinite(want)) {
    expect(got, what).toBe(want);
    return;
  }
  expect(Math.abs(got - want), `${what}: got ${got}, scipy ${want}`).toBeLessThanOrEqual(rel * Math.max(Math.abs(want), 1e-300) + 1e-300);
}

// Huge df puts a = df/2 into log-gamma differences of numbers ~1e7, which cost ~1e-9 relative.
const tolerance = (df: number) => (df > 1e3 ? 1e-7 : 1e-10);

describe('Student t distribution against scipy', () => {
  it('cdf and sf over df from 1 to 1e7, both tails', () => {
    for (const c of fixtures.cdf) {
      expectClose(studentTCdf(c.t, c.df), num(c.cdf), tolerance(c.df), `cdf(${c.t}, df=${c.df})`);
      expectClose(studentTSf(c.t, c.df), num(c.sf), tolerance(c.df), `sf(${c.t}, df=${c.df})`);
    }
    expect(fixtures.cdf.length).toBeGreaterThan(100);
  });

  it('quantile over p from 1e-9 to 1 - 1e-9', () => {
    for (const c of fixtures.ppf) {
      // 1 - 1e-9 is not exactly representable: at df = 1 its quantile (3e8) moves with that rounding.
      const rel = c.p > 0.999999 ? 1e-6 : tolerance(c.df);
      expectClose(studentTQuantile(c.p, c.df), num(c.q), rel, `ppf(${c.p}, df=${c.df})`);
    }
  });

  it('edges: p 0 and 1, the median, invalid df', () => {
    expect(studentTQuantile(0, 3)).toBe(-Infinity);
    expect(studentTQuantile(1, 3)).toBe(Infinity);
    expect(studentTQuantile(0.5, 7.5)).toBe(0);
    expect(studentTCdf(0, 4)).toBe(0.5);
    expect(studentTCdf(1, 0)).toBeNaN();
    expect(studentTQuantile(1.5, 3)).toBeNaN();
    expect(studentTCdf(Infinity, 3)).toBe(1);
    expect(studentTCdf(-Infinity, 3)).toBe(0);
  });
});

describe("Welch's t-test against scipy.stats.ttest_ind(equal_var=False)", () => {
  for (const c of fixtures.welch) {
    it(c.name, () => {
      expectClose(mean(c.a), num(c.mean_a), 1e-14, 'mean a');
      expectClose(Math.sqrt(sampleVariance(c.b)), num(c.std_b), 1e-12, 'std b');
      const w = welchTTest(c.a, c.b)!;
      expectClose(w.diff, num(c.diff), 1e-12, 'diff');
      expectClose(w.df, num(c.df), 1e-10, 'df');
      if (Number.isNaN(num(c.t))) expect(w.t).toBeNaN();
      else expectClose(w.t, num(c.t), 1e-10, 't');
      if (Number.isNaN(num(c.p))) expect(w.p).toBeNaN();
      else expectClose(w.p, num(c.p), 1e-9, 'p');
      expectClose(w.ci_low, num(c.ci_low), 1e-10, 'ci low');
      expectClose(w.ci_high, num(c.ci_high), 1e-10, 'ci high');
    });
  }

  it('needs two values on each side', () => {
    expect(welchTTest([0.5], [0.4, 0.41])).toBeNull();
    expect(welchTTest([0.5, 0.52], [0.4])).toBeNull();
    expect(sampleVariance([1])).toBeNaN();
  });
});
