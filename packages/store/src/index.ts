// Public API: named re-exports only.
export { openDatabase, writeTransaction, StoreError, DEFAULT_DB_PATH } from './database.js';
export type { Db, OpenOptions } from './database.js';
export { migrate, schemaVersion, SCHEMA_VERSION } from './migrations.js';
export { METRIC_COLUMNS } from './metric-columns.js';
export type { MetricColumn, MetricsRecord } from './metric-columns.js';
export { RUN_STATUSES, RunStateError } from './run-state.js';
export type { RunStatus } from './run-state.js';
export type {
  ArtifactRecord, EpochEntry, NewRun, NewSweep, RunInfo, RunRecord, RunSummary, SweepRecord, WorkerIdentity,
} from './records.js';
export { StoreReader, openReader } from './reader.js';
export type { RunFilter } from './reader.js';
export { Store, openStore, currentWorker } from './store.js';
export type { StoreOptions } from './store.js';
export { groupByVariant, variantKey, GROUP_METRICS } from './groups.js';
export type { GroupMetric, MetricStats, VariantGroup } from './groups.js';
export { positionEffects } from './position-effects.js';
export type { PositionEffect } from './position-effects.js';
export { curvesByVariant } from './curves.js';
export type { VariantCurve } from './curves.js';
export { compareEpochs } from './run-compare.js';
export type { ColumnDifference, EpochComparison } from './run-compare.js';
export { modelMapSchema, sweepModelMaps } from './model-map.js';
export type { ModelMap, ModelMapCost, ModelMapLayer, ModelMapPosition } from './model-map.js';
export { welchTTest, mean, sampleVariance } from './stats/welch.js';
export type { WelchTest } from './stats/welch.js';
export { studentTCdf, studentTSf, studentTQuantile } from './stats/student-t.js';
export { importUltralyticsRun, IMPORT_SWEEP } from './import-ultralytics.js';
export type { ImportOptions } from './import-ultralytics.js';
