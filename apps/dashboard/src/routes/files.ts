// GET /api/runs/:id/files/<path>: a file of the run's folder (results.png, weights/best/model.json, …),
// only from inside it (run-files.ts says how), as inline images or text, else as a download.
import fs from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { StoreReader } from '@acmix-lab/store';
import { contentTypeOf, resolveRunFile } from '../run-files.js';
import { errorSchema } from '../schemas.js';

export const fileRoutes: FastifyPluginAsync<{ reader: StoreReader }> = async (app, { reader }) => {
  // A file inside the run's folder; anything outside it (.., absolute paths, symlinks leading out) is 404.
  app.get<{ Params: { id: number; '*': string } }>('/api/runs/:id/files/*', {
    schema: {
      params: { type: 'object', properties: { 'id': { type: 'integer', minimum: 1 }, '*': { type: 'string' } }, required: ['id', '*'] },
      response: { 200: { type: 'string', description: 'the file' }, 404: errorSchema },
    },
  }, async (request, reply) => {
    const runDir = reader.getRun(request.params.id)?.run_dir;
    const file = runDir ? resolveRunFile(runDir, request.params['*']) : null;
    if (!file) return reply.code(404).send({ error: 'no such file in the run folder' });
    const { type, inline } = contentTypeOf(file);
    if (!inline) reply.header('content-disposition', 'attachment');
    return reply.type(type).send(fs.createReadStream(file));
  });
};
