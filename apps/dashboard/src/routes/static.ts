// The page and its assets: index.html and style.css from web/, app.js built by esbuild (bundle.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { WEB_DIR } from '../bundle.js';

const ASSETS = { 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' } as const;

export const staticRoutes: FastifyPluginAsync<{ bundleFile: string }> = async (app, { bundleFile }) => {
  const files: Record<keyof typeof ASSETS, string> = { 'app.js': bundleFile, 'style.css': path.join(WEB_DIR, 'style.css') };

  // The dashboard page.
  app.get('/', { schema: { response: { 200: { type: 'string' } } } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache')
    .send(fs.createReadStream(path.join(WEB_DIR, 'index.html'))));

  // The browser bundle and its stylesheet.
  app.get<{ Params: { file: keyof typeof ASSETS } }>('/assets/:file', {
    schema: {
      params: { type: 'object', properties: { file: { type: 'string', enum: Object.keys(ASSETS) } }, required: ['file'] },
      response: { 200: { type: 'string' } },
    },
  }, async (request, reply) => reply.type(ASSETS[request.params.file]).header('cache-control', 'no-cache')
    .send(fs.createReadStream(files[request.params.file])));
};
