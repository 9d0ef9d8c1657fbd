// JSON schemas of the API's answers, for fastify's serializer and as its documentation. Numbers that
// may be NaN or ±Infinity in the store are `number | null`: finite-json.ts turns them into null first.
import { z } from 'zod';
import { METRIC_COLUMNS, modelMapSchema, RUN_STATUSES } from '@acmix-lab/store';

const nullable = (type: string) => ({ type: [type, 'null'] });
const anyObject = { type: 'object', additionalProperties: true };
const nullableObject = { type: ['object', 'null'], additionalProperties: true };
const strings = { type: 'array', items: { type: 'string' } };
const numbers = { type: 'array', items: { type: 'integer' } };

export const errorSchema = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };

export const runIdParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] };

const runStatus = { type: 'string', enum: RUN_STATUSES };

/** RunSummary: one row of `acmix-lab runs --json`. */
export const runSummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, sweep: { type: 'string' }, name: { type: 'string' }, key: { type: 'string' },
    positions: { type: ['array', 'null'], items: { type: 'string' } }, module: nullable('string'), grid: anyObject,
    scale: nullable('string'), seed: { type: 'integer' }, status: runStatus,
    epochs: { type: 'integer' }, epoch_budget: { type: 'integer' }, best_epoch: nullable('integer'),
    params: nullable('integer'), gflops: nullable('number'),
    map50: nullable('number'), map50_95: nullable('number'), fitness: nullable('number'), duration: nullable('number'),
    reproduces: nullable('integer'), host: nullable('string'), worker: nullable('string'), backend: nullable('string'),
    retries: { type: 'integer' }, error: nullable('string'), started_at: nullable('string'), ended_at: nullable('string'),
  },
} as const;

/** RunRecord: everything stored about a run. */
export const runRecordSchema = {
  type: 'object',
  properties: {
    ...runSummarySchema.properties,
    sweep_id: { type: 'integer' }, model_yaml: nullable('string'), config: anyObject, epoch: { type: 'integer' },
    pid: nullable('integer'), versions: nullableObject, run_dir: nullable('string'),
    created_at: { type: 'string' }, heartbeat_at: nullable('string'),
  },
} as const;

export const metricsRecordSchema = {
  type: 'object',
  properties: {
    run_id: { type: 'integer' }, epoch: { type: 'integer' }, time: nullable('number'),
    ...Object.fromEntries(METRIC_COLUMNS.map(({ column }) => [column, nullable('number')])),
  },
};

export const metricColumnSchema = { type: 'string', enum: METRIC_COLUMNS.map((c) => c.column) };

const metricStats = { type: 'object', properties: { mean: nullable('number'), std: nullable('number') } };
const welch = {
  type: ['object', 'null'],
  properties: Object.fromEntries(['diff', 'se', 't', 'df', 'p', 'ci_low', 'ci_high'].map((k) => [k, nullable('number')])),
};
const byGroupMetric = (schema: object) => ({ type: ['object', 'null'], properties: { map50: schema, map50_95: schema } });

export const variantGroupSchema = {
  type: 'object',
  properties: {
    sweep: { type: 'string' }, name: { type: 'string' }, scale: nullable('string'),
    positions: { type: ['array', 'null'], items: { type: 'string' } }, module: nullable('string'), grid: anyObject,
    n: { type: 'integer' }, run_ids: numbers, seeds: numbers, params: nullable('integer'), gflops: nullable('number'),
    map50: metricStats, map50_95: metricStats, is_baseline: { type: 'boolean' },
    baseline: { type: ['object', 'null'], properties: { name: { type: 'string' }, grid: anyObject } },
    delta: byGroupMetric(nullable('number')), vs_baseline: byGroupMetric(welch),
  },
};

export const positionEffectSchema = {
  type: 'object',
  properties: { variants: strings, mean_delta: byGroupMetric(nullable('number')) },
};

const { $schema: _, ...modelMapJson } = z.toJSONSchema(modelMapSchema, { target: 'draft-7' });
export const modelMapJsonSchema = { anyOf: [modelMapJson, { type: 'null' }] };

export const sweepSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, name: { type: 'string' }, file: nullable('string'), created_at: { type: 'string' },
    runs: { type: 'integer' }, by_status: { type: 'object', additionalProperties: { type: 'integer' } },
  },
};
