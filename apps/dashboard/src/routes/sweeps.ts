// The sweeps API: the list, a sweep's placements (variants over seeds vs the baseline, the model map
// and each position's mean effect) and learning curves grouped by variant. The statistics are the
// store's (groupRuns, positionEffects, variantCurves); this only asks for them.
import type { FastifyPluginAsync } from 'fastify';
import { positionEffects, StoreError, sweepModelMaps, type MetricColumn, type ModelMap, type StoreReader } from '@acmix-lab/store';
import {
  errorSchema, metricColumnSchema, modelMapJsonSchema, positionEffectSchema, sweepSchema, variantGroupSchema,
} from '../schemas.js';

const strings = { type: 'array', items: { type: 'string' } };
/** Distinct non-null values, first seen first. */
const unique = (values: (string | null)[]): string[] => [...new Set(values.filter((v): v is string => v !== null))];

const curveSchema = {
  type: 'object',
  properties: {
    sweep: { type: 'string' }, name: { type: 'string' }, scale: { type: ['string', 'null'] },
    grid: { type: 'object', additionalProperties: true },
    run_ids: { type: 'array', items: { type: 'integer' } }, seeds: { type: 'array', items: { type: 'integer' } },
    reproduces: { type: ['integer', 'null'] }, column: { type: 'string' },
    points: {
      type: 'array',
      items: { type: 'object', properties: { epoch: { type: 'integer' }, n: { type: 'integer' }, mean: { type: ['number', 'null'] }, std: { type: ['number', 'null'] } } },
    },
  },
};

export const sweepRoutes: FastifyPluginAsync<{ reader: StoreReader }> = async (app, { reader }) => {
  // The sweeps, with their number of runs by status.
  app.get('/api/sweeps', {
    schema: {
      response: { 200: { type: 'array', items: sweepSchema } },
    },
  }, async () => {
    const runs = reader.listRuns();
    return reader.listSweeps().map(({ id, name, file, created_at }) => {
      const own = runs.filter((r) => r.sweep === name);
      const byStatus: Record<string, number> = {};
      for (const r of own) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      return { id, name, file, created_at, runs: own.length, by_status: byStatus };
    });
  });

  // A sweep's variants over seeds with Δ vs the baseline (Welch 95% intervals), at one scale; the model map
  // of that scale, with each position's cost and mean Δ for one module (a sweep may compare several).
  app.get<{ Params: { name: string }; Querystring: { scale?: string; module?: string } }>('/api/sweeps/:name/placements', {
    schema: {
      params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      querystring: { type: 'object', properties: { scale: { type: 'string' }, module: { type: 'string' } }, additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: {
            sweep: { type: 'string' }, scales: strings, scale: { type: ['string', 'null'] }, modules: strings, module: { type: ['string', 'null'] },
            groups: { type: 'array', items: variantGroupSchema },
            model_map: modelMapJsonSchema, model_map_error: { type: ['string', 'null'] },
            position_effects: { type: 'object', additionalProperties: positionEffectSchema },
          },
        },
        404: errorSchema,
      },
    },
  }, async (request, reply) => {
    const sweep = reader.getSweep(request.params.name);
    if (!sweep) return reply.code(404).send({ error: 'no such sweep' });
    let maps: Record<string, ModelMap> = {};
    let modelMapError: string | null = null;
    try {
      maps = sweepModelMaps(sweep);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      modelMapError = err.message;
    }
    const all = reader.groupRuns({ sweep: sweep.name });
    const { scale: askedScale, module: askedModule } = request.query;
    const scales = unique([...Object.keys(maps), ...all.map((g) => g.scale)]);
    if (askedScale !== undefined && !scales.includes(askedScale)) return reply.code(404).send({ error: `sweep ${sweep.name} has no scale ${askedScale}` });
    const scale = askedScale ?? scales[0] ?? null;
    const map = scale === null ? null : maps[scale] ?? null;
    // In the sweep's order (each map position's costs), then any module only the runs name.
    const modules = unique([...Object.values(map?.positions ?? {}).flatMap((p) => Object.keys(p.costs)), ...all.map((g) => g.module)]);
    if (askedModule !== undefined && !modules.includes(askedModule)) return reply.code(404).send({ error: `sweep ${sweep.name} has no module ${askedModule}` });
    const module = askedModule ?? modules[0] ?? null;
    const groups = all.filter((g) => scale === null || g.scale === scale);
    return {
      sweep: sweep.name, scales, scale, modules, module, groups, model_map: map, model_map_error: modelMapError,
      position_effects: positionEffects(groups, { module: module ?? undefined }),
    };
  });

  // A results.csv column of the given runs grouped by variant: per epoch the mean and std over seeds.
  app.get<{ Querystring: { runs: string; column: MetricColumn } }>('/api/curves', {
    schema: {
      querystring: {
        type: 'object',
        properties: { runs: { type: 'string', pattern: '^[0-9]+(,[0-9]+)*$' }, column: metricColumnSchema },
        required: ['runs', 'column'],
        additionalProperties: false,
      },
      response: { 200: { type: 'array', items: curveSchema } },
    },
  }, async (request) => reader.variantCurves(request.query.runs.split(',').map(Number), request.query.column));
};
