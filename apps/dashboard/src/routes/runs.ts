// The runs API: the table (GET /api/runs = `acmix-lab runs --json`), one run's epochs, its page
// (record, artifacts, reproduce command, original with the metric differences) and a diff.
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { DEFAULT_DB_PATH, RUN_STATUSES, type RunFilter, type StoreReader } from '@acmix-lab/store';
import { VersionedCache, type ChangeFeed } from '../change-feed.js';
import { artifactViews } from '../run-files.js';
import { diffRuns } from '../run-diff.js';
import { errorSchema, metricsRecordSchema, runIdParams, runRecordSchema, runSummarySchema } from '../schemas.js';

export interface RunRoutesOptions {
  reader: StoreReader;
  feed: ChangeFeed;
  /** The database file, for the reproduce command. */
  dbFile: string;
}

/** POSIX shell quoting, for commands users copy. */
const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

const notFound = { error: 'no such run' };
const summaries = { type: 'array', items: runSummarySchema };
const fileView = { type: 'object', properties: { path: { type: 'string' }, bytes: { type: 'integer' }, url: { type: 'string' } } };
const artifactView = {
  type: 'object',
  properties: {
    kind: { type: 'string' }, path: { type: 'string' }, bytes: { type: ['integer', 'null'] }, url: { type: ['string', 'null'] },
    files: { type: 'array', items: fileView },
  },
};
const comparison = {
  type: 'object',
  properties: {
    epochs: { type: 'integer' },
    columns: {
      type: 'array',
      items: {
        type: 'object',
        properties: { column: { type: 'string' }, differing_epochs: { type: 'integer' }, max_abs: { type: ['number', 'null'] }, last: { type: ['number', 'null'] } },
      },
    },
  },
};
const valueDifference = { type: 'object', properties: { field: { type: 'string' }, a: {}, b: {} } };

export const runRoutes: FastifyPluginAsync<RunRoutesOptions> = async (app, { reader, feed, dbFile }) => {
  // listRuns of a thousand runs takes tens of ms: the JSON is made once per database version and filter.
  const runsJson = new VersionedCache<string>(feed);
  const dbFlag = path.resolve(dbFile) === path.resolve(DEFAULT_DB_PATH) ? '' : ` --db ${shellQuote(dbFile)}`;

  // The runs, as `acmix-lab runs --json` prints them (NaN and ±Infinity as null), in id order.
  app.get<{ Querystring: RunFilter }>('/api/runs', {
    schema: {
      querystring: { type: 'object', properties: { sweep: { type: 'string' }, status: { type: 'string', enum: RUN_STATUSES } }, additionalProperties: false },
      response: { 200: summaries },
    },
  }, async (request, reply) => {
    const { sweep, status } = request.query;
    // JSON.stringify turns NaN and ±Infinity into null, as finite-json.ts does for the other routes.
    const json = runsJson.get(JSON.stringify([sweep, status]), () => JSON.stringify(reader.listRuns({ sweep, status })));
    return reply.type('application/json; charset=utf-8').send(json);
  });

  // The run's epochs in order: every results.csv column (NaN as null).
  app.get<{ Params: { id: number } }>('/api/runs/:id/metrics', {
    schema: {
      params: runIdParams,
      response: { 200: { type: 'array', items: metricsRecordSchema }, 404: errorSchema },
    },
  }, async (request, reply) => {
    const epochs = reader.runMetrics(request.params.id);
    return epochs.length > 0 || reader.getRun(request.params.id) ? epochs : reply.code(404).send(notFound);
  });

  // The run page: the stored run, its summary, artifacts, the reproduce command, its original and reproductions.
  app.get<{ Params: { id: number } }>('/api/runs/:id', {
    schema: {
      params: runIdParams,
      response: {
        200: {
          type: 'object',
          properties: {
            run: runRecordSchema, summary: runSummarySchema, artifacts: { type: 'array', items: artifactView },
            reproduce_command: { type: 'string' },
            original: { type: ['object', 'null'], properties: { summary: runSummarySchema, comparison } },
            reproductions: summaries,
          },
        },
        404: errorSchema,
      },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const run = reader.getRun(id);
    if (!run) return reply.code(404).send(notFound);
    const all = reader.listRuns({ sweep: run.sweep });
    // A reproduction is queued in its original's sweep.
    const originalSummary = all.find((r) => r.id === run.reproduces);
    return {
      run,
      summary: all.find((r) => r.id === id)!,
      artifacts: artifactViews(run, reader.runArtifacts(id)),
      reproduce_command: `acmix-lab reproduce ${id}${dbFlag}`,
      original: originalSummary ? { summary: originalSummary, comparison: reader.compareRuns(id, originalSummary.id) } : null,
      reproductions: all.filter((r) => r.reproduces === id),
    };
  });

  // What differs between two runs: description, training config keys, model yaml lines.
  app.get<{ Params: { id: number }; Querystring: { against: number } }>('/api/runs/:id/diff', {
    schema: {
      params: runIdParams,
      querystring: { type: 'object', properties: { against: { type: 'integer', minimum: 1 } }, required: ['against'], additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: {
            a: { type: 'integer' }, b: { type: 'integer' },
            fields: { type: 'array', items: valueDifference }, config: { type: 'array', items: valueDifference },
            model_yaml: { type: 'array', items: { type: 'object', properties: { op: { type: 'string' }, line: { type: 'integer' }, text: { type: 'string' } } } },
          },
        },
        404: errorSchema,
      },
    },
  }, async (request, reply) => {
    const [a, b] = [reader.getRun(request.params.id), reader.getRun(request.query.against)];
    return a && b ? diffRuns(a, b) : reply.code(404).send(notFound);
  });
};
