// `acmix-lab dashboard`: open the database read-only, build the bundle if needed, listen on
// 127.0.0.1 (unless told otherwise) at the given port (0: a free one) and say where.
import type { AddressInfo } from 'node:net';
import { openReader } from '@acmix-lab/store';
import { ensureBundle } from './bundle.js';
import { servedHosts, urlFor } from './host-guard.js';
import { buildDashboardApp } from './server.js';

export interface DashboardOptions {
  db: string;
  host?: string;
  port?: number;
  pollMs?: number;
}

export interface RunningDashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard({ db, host = '127.0.0.1', port = 0, pollMs }: DashboardOptions): Promise<RunningDashboard> {
  const reader = openReader(db); // a missing or foreign file: a StoreError naming it
  const hosts = new Set<string>();
  try {
    const app = await buildDashboardApp({ reader, dbFile: db, hosts, bundleFile: await ensureBundle(), pollMs });
    await app.listen({ host, port });
    const served = (app.server.address() as AddressInfo).port;
    for (const h of servedHosts(host, served)) hosts.add(h);
    return {
      url: urlFor(host, served),
      close: async () => {
        await app.close();
        reader.close();
      },
    };
  } catch (err) {
    reader.close();
    throw err;
  }
}
