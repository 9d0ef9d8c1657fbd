// How far a run is from another epoch by epoch, per results.csv column: what `acmix-lab reproduce`
// reports and the dashboard shows for a reproduction (zero on the same backend with deterministic ops).
import { METRIC_COLUMNS, type MetricColumn, type MetricsRecord } from './metric-columns.js';

export interface ColumnDifference {
  column: MetricColumn;
  /** Epochs both runs have where the values differ (NaN equals NaN here: both runs diverged alike). */
  differing_epochs: number;
  /** Largest |run − other| over those epochs; 0 when none differ, NaN when one side is NaN or infinite. */
  max_abs: number;
  /** run − other at the last epoch both have; NaN without one. */
  last: number;
}

export interface EpochComparison {
  /** Epochs logged by both runs (1..min of their epochs). */
  epochs: number;
  columns: ColumnDifference[];
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const difference = (a: number, b: number) => (same(a, b) ? 0 : a - b);

export function compareEpochs(run: readonly MetricsRecord[], other: readonly MetricsRecord[]): EpochComparison {
  const epochs = Math.min(run.length, other.length);
  const columns = METRIC_COLUMNS.map(({ column }) => {
    let differing = 0;
    let maxAbs = 0;
    for (let i = 0; i < epochs; i++) {
      const d = Math.abs(difference(run[i]![column], other[i]![column]));
      if (d === 0) continue;
      differing++;
      maxAbs = Number.isFinite(d) ? Math.max(maxAbs, d) : NaN; // Math.max keeps a NaN once there
    }
    const last = epochs === 0 ? NaN : difference(run[epochs - 1]![column], other[epochs - 1]![column]);
    return { column, differing_epochs: differing, max_abs: maxAbs, last };
  });
  return { epochs, columns };
}
