// The printed forms: a rung decision (and its warning when every variant is tied), the variant table.
import { describe, expect, it } from 'vitest';
import type { VariantGroup } from '@acmix-lab/store';
import { formatDecision, formatGroups } from './report.js';

describe('reports', () => {
  it('a halving decision names who continues and who is pruned, and says when the ranking was all ties', () => {
    const ranking = [{ name: 'a', fitness: 0.2, runs: [1, 2] }, { name: 'b', fitness: 0.1, runs: [3, 4] }, { name: 'c', fitness: -Infinity, runs: [5] }];
    const d = { rung: 5, ranking, promoted: [{ id: 1, budget: 10 }, { id: 2, budget: 10 }], pruned: [3, 4, 5] };
    expect(formatDecision(d)).toBe('halving at 5 epochs (fitness, mean over seeds): a 0.2000 continue to 10 epochs; pruned: b 0.1000, c -');
    const tied = { ...d, ranking: ranking.map((v) => ({ ...v, fitness: 0 })) };
    expect(formatDecision(tied)).toMatch(/pruned: b 0\.0000, c 0\.0000 \(all tied: the cut kept the first in file order; a larger min_epochs ranks on real differences\)$/);
    expect(formatDecision({ rung: 3, ranking: [], promoted: [], pruned: [7] })).toBe('1 runs stop at their budget');
  });

  it('variants over seeds: mean ± std, Δ vs the baseline with its interval and p', () => {
    const group = (name: string, extra: Partial<VariantGroup>): VariantGroup => ({
      sweep: 's', name, scale: 'n', positions: [], module: null, grid: {}, n: 2, run_ids: [1, 2], seeds: [0, 1], params: 3_011_433, gflops: 0.0823,
      map50: { mean: 0.27466, std: 0.0111 }, map50_95: { mean: 0.128, std: 0.0084 }, is_baseline: true, baseline: null, vs_baseline: null, ...extra,
    } as VariantGroup);
    const test = { diff: -0.0174, se: 0.005, t: -3.4, df: 1.4, p: 0.1652, ci_low: -0.0601, ci_high: 0.0253 };
    const lines = formatGroups([group('yolov8n', {}), group('yolov8n+CBAM@P5', { is_baseline: false, positions: ['P5'], module: 'CBAM', vs_baseline: { map50: null, map50_95: test } })]).split('\n');
    expect(lines[0]).toMatch(/^variant\s+module\s+scale\s+n\s+params/);
    expect(lines[1]).toMatch(/^yolov8n\s+-\s+n\s+2\s+3,011,433\s+0\.082\s+0\.2747 ± 0\.0111\s+0\.1280 ± 0\.0084\s+\(baseline\)\s+-\s+\(baseline\)\s+-$/);
    expect(lines[2]).toMatch(/^yolov8n\+CBAM@P5\s+CBAM\s+n\s+2\s/);
    expect(lines[2]).toMatch(/\s+-\s+-\s+-0\.0174 \[-0\.0601, \+0\.0253\]\s+0\.165$/);
  });
});
