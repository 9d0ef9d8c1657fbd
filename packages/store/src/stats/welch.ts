// Summary statistics over seeds and Welch's unequal-variance t-test of a variant against the baseline:
// the difference of means with its 95% confidence interval and two-sided p-value, as
// scipy.stats.ttest_ind(variant, baseline, equal_var=False) and its confidence_interval() compute them.
import { studentTQuantile, studentTSf } from './student-t.js';

export function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample variance (ddof = 1), two-pass as numpy computes it; NaN below two values. */
export function sampleVariance(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}

export interface WelchTest {
  /** mean(a) - mean(b). */
  diff: number;
  /** Standard error of the difference. */
  se: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value; NaN when both groups are constant and equal (0/0, as scipy). */
  p: number;
  ci_low: number;
  ci_high: number;
}

/** Welch's t-test of mean(a) - mean(b); null when either group has fewer than two values. */
export function welchTTest(a: readonly number[], b: readonly number[], confidence = 0.95): WelchTest | null {
  if (a.length < 2 || b.length < 2) return null;
  const va = sampleVariance(a) / a.length;
  const vb = sampleVariance(b) / b.length;
  const diff = mean(a) - mean(b);
  const se = Math.sqrt(va + vb);
  const dfRaw = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  // Both variances zero makes df 0/0; scipy (_unequal_var_ttest_denom) uses 1 then.
  const df = Number.isNaN(dfRaw) ? 1 : dfRaw;
  const t = diff / se;
  const p = Number.isNaN(t) ? NaN : 2 * studentTSf(Math.abs(t), df);
  const half = se === 0 ? 0 : studentTQuantile(0.5 + confidence / 2, df) * se;
  return { diff, se, t, df, p, ci_low: diff - half, ci_high: diff + half };
}
