// The sweeps API: the list, a sweep's placements (variants over seeds vs the baseline, the model map
// and each position's mean effect) and learning curves grouped by variant. The statistics are the
// store's (groupRuns, positionEffects, variantCurves); this only asks for them.
import type { FastifyPluginAsync } from 'fastify';
import { positionEffects, StoreError, sweepModelMap, type MetricColumn, type ModelMap, type StoreReader } from '@acmix-lab/store';
import {
  errorSchema, metricColumnSchema, modelMapJsonSchema, positionEffectSchema, sweepSchema, variantGroupSchema,
} from '../schemas.js';

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

  // A sweep's variants over seeds with Δ vs the baseline (Welch 95% intervals), its model map and each position's mean Δ.
  app.get<{ Params: { name: string } }>('/api/sweeps/:name/placements', {
    schema: {
      params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      response: {
        200: {
          type: 'object',
          properties: {
            sweep: { type: 'string' }, groups: { type: 'array', items: variantGroupSchema },
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
    let modelMap: ModelMap | null = null;
    let modelMapError: string | null = null;
    try {
      modelMap = sweepModelMap(sweep);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      modelMapError = err.message;
    }
    const groups = reader.groupRuns({ sweep: sweep.name });
    return {
      sweep: sweep.name, groups, model_map: modelMap, model_map_error: modelMapError,
      position_effects: positionEffects(groups, { scale: modelMap?.scale }),
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
