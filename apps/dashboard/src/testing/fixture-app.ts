// The dashboard app over a fresh fixture database, for app.inject() tests: requests carry the Host
// header the app serves unless a test says otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openReader, type StoreReader } from '@acmix-lab/store';
import { ensureBundle } from '../bundle.js';
import { buildDashboardApp } from '../server.js';
import { writeFixtureDatabase, type FixtureDatabase } from './fixture-db.js';

export const HOST = '127.0.0.1:5173';

export interface FixtureApp {
  app: FastifyInstance;
  reader: StoreReader;
  fixture: FixtureDatabase;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function fixtureApp(options: { pollMs?: number } = {}): Promise<FixtureApp> {
  const fixture = writeFixtureDatabase(fs.mkdtempSync(path.join(os.tmpdir(), 'acmix-dashboard-')));
  const reader = openReader(fixture.dbFile);
  const app = await buildDashboardApp({ reader, dbFile: fixture.dbFile, hosts: new Set([HOST]), bundleFile: await ensureBundle(), ...options });
  return {
    app, reader, fixture,
    get: (url, headers = {}) => app.inject({ method: 'GET', url, headers: { host: HOST, ...headers } }),
    close: async () => {
      await app.close();
      reader.close();
    },
  };
}
