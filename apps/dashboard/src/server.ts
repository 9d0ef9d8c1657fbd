// The dashboard's fastify app over a read-only store: each feature a plugin, every route with its
// JSON schema. `app.inject()` tests it without a port; start.ts serves it.
import Fastify, { type FastifyInstance } from 'fastify';
import type { StoreReader } from '@acmix-lab/store';
import { ChangeFeed } from './change-feed.js';
import { finiteJson } from './finite-json.js';
import { hostGuard } from './host-guard.js';
import { eventRoutes } from './routes/events.js';
import { fileRoutes } from './routes/files.js';
import { runRoutes } from './routes/runs.js';
import { staticRoutes } from './routes/static.js';
import { sweepRoutes } from './routes/sweeps.js';

export interface DashboardAppOptions {
  reader: StoreReader;
  /** The database file (shown in the reproduce command). */
  dbFile: string;
  /** Host header values to answer (host:port); see host-guard.ts. */
  hosts: ReadonlySet<string>;
  /** The built browser bundle (bundle.ts). */
  bundleFile: string;
  /** How often the event stream checks the database for changes. */
  pollMs?: number;
}

export async function buildDashboardApp({ reader, dbFile, hosts, bundleFile, pollMs = 1000 }: DashboardAppOptions): Promise<FastifyInstance> {
  // Unknown query parameters are errors (a typo'd filter must not silently list everything).
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false } } });
  const feed = new ChangeFeed(reader, pollMs);
  app.addHook('onClose', async () => feed.stop());
  await app.register(hostGuard, { hosts });
  await app.register(finiteJson);
  await app.register(runRoutes, { reader, feed, dbFile });
  await app.register(fileRoutes, { reader });
  await app.register(sweepRoutes, { reader });
  await app.register(eventRoutes, { feed });
  await app.register(staticRoutes, { bundleFile });
  return app;
}
