// What differs between two runs, and only that: their description (variant, seed, environment),
// each training-config key, and the model yaml line by line (a longest-common-subsequence diff,
// as `diff` computes it; model yamls are tens of lines).
import type { RunRecord } from '@acmix-lab/store';

export interface ValueDifference {
  field: string;
  a: unknown;
  b: unknown;
}

export interface LineDifference {
  op: '-' | '+';
  /** 1-based line number in a (for -) or b (for +). */
  line: number;
  text: string;
}

export interface RunDiff {
  a: number;
  b: number;
  fields: ValueDifference[];
  config: ValueDifference[];
  model_yaml: LineDifference[];
}

const DESCRIPTION = ['sweep', 'name', 'positions', 'module', 'scale', 'seed', 'epoch_budget', 'params', 'gflops', 'backend', 'host'] as const;

/** Keys whose values differ, `prefix.key` named; a key missing on one side shows as null there. */
function differingKeys(prefix: string, a: Record<string, unknown> | null, b: Record<string, unknown> | null): ValueDifference[] {
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  return keys.flatMap((key) => {
    const [va, vb] = [a?.[key] ?? null, b?.[key] ?? null];
    return JSON.stringify(va) === JSON.stringify(vb) ? [] : [{ field: `${prefix}${key}`, a: va, b: vb }];
  });
}

export function diffLines(a: string, b: string): LineDifference[] {
  const [x, y] = [a.split('\n'), b.split('\n')];
  // common[i][j]: length of the longest common subsequence of x[i..] and y[j..].
  const common = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      common[i]![j] = x[i] === y[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: LineDifference[] = [];
  let [i, j] = [0, 0];
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) [i, j] = [i + 1, j + 1];
    else if (i < x.length && (j === y.length || common[i + 1]![j]! >= common[i]![j + 1]!)) out.push({ op: '-', line: ++i, text: x[i - 1]! });
    else out.push({ op: '+', line: ++j, text: y[j - 1]! });
  }
  return out;
}

export function diffRuns(a: RunRecord, b: RunRecord): RunDiff {
  const describe = (r: RunRecord) => Object.fromEntries(DESCRIPTION.map((k) => [k, r[k]]));
  return {
    a: a.id,
    b: b.id,
    fields: [
      ...differingKeys('', describe(a), describe(b)),
      ...differingKeys('grid.', a.grid, b.grid),
      ...differingKeys('versions.', a.versions, b.versions),
    ],
    config: differingKeys('', a.config, b.config),
    model_yaml: diffLines(a.model_yaml ?? '', b.model_yaml ?? ''),
  };
}
