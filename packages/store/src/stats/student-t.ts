// Student's t distribution: CDF, survival function and quantile, for Welch's test on variant groups.
// Written here (no statistics dependency) through the regularized incomplete beta function:
//   P(T <= t) = 1 - I_x(df/2, 1/2) / 2 for t > 0, with x = df / (df + t^2)
// (Abramowitz & Stegun 26.7.1 and 26.5.27). Checked against scipy.stats.t (tools/fixtures/welch_fixtures.py).

// Lanczos approximation, g = 7, 9 coefficients (relative error ~1e-15 for x > 0).
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of I_x(a, b) by the modified Lentz method (Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  // Converges in O(sqrt(max(a, b))) steps when x < (a + 1) / (a + b + 2).
  const maxSteps = 10_000 + 10 * Math.ceil(Math.sqrt(Math.max(a, b)));
  for (let m = 1; m <= maxSteps; m++) {
    const m2 = 2 * m;
    for (const coef of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + coef * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + coef / c;
      if (Math.abs(c) < tiny) c = tiny;
      const delta = c * d;
      h *= delta;
      if (coef !== 0 && Math.abs(delta - 1) < 1e-16) return h;
    }
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) + logGamma(a + b) - logGamma(a) - logGamma(b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for t <= 0 (the lower tail), computed without cancellation. */
function lowerTail(t: number, df: number): number {
  // For |t| small against sqrt(df), I over the complement argument keeps precision.
  const t2 = t * t;
  if (t2 < df) return 0.5 - 0.5 * incompleteBeta(t2 / (df + t2), 0.5, df / 2);
  return 0.5 * incompleteBeta(df / (df + t2), df / 2, 0.5);
}

export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0 && df < Infinity)) return NaN;
  return t <= 0 ? lowerTail(t, df) : 1 - lowerTail(-t, df);
}

/** P(T > t), accurate in the upper tail where 1 - cdf would round to 0. */
export function studentTSf(t: number, df: number): number {
  return studentTCdf(-t, df);
}

export function studentTPdf(t: number, df: number): number {
  return Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** The t with P(T <= t) = p: safeguarded Newton steps inside a bracket that always holds the root. */
export function studentTQuantile(p: number, df: number): number {
  if (Number.isNaN(p) || !(df > 0 && df < Infinity) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  // Solve in the lower tail, where the CDF keeps full relative precision, and mirror.
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  // Cauchy: tan(pi (p - 1/2)) = -cot(pi p), written so that a tiny p keeps its precision.
  if (df === 1) return -1 / Math.tan(Math.PI * p);
  let hi = 0;
  let lo = -1;
  while (lowerTail(lo, df) > p) {
    hi = lo;
    lo *= 2;
  }
  let t = (lo + hi) / 2;
  for (let i = 0; i < 300; i++) {
    const f = lowerTail(t, df) - p;
    if (f === 0) return t;
    if (f > 0) hi = t;
    else lo = t;
    const newton = t - f / studentTPdf(t, df);
    const next = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    if (Math.abs(next - t) <= 1e-15 * Math.abs(t)) return next;
    t = next;
  }
  return t;
}
