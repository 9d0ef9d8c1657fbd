// Opening the SQLite file: WAL so readers (the dashboard) never block the writers (training processes),
// a busy timeout so writers queue for the lock instead of failing, foreign keys on, and the schema
// migrated (read-write) or checked (read-only).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, schemaVersion, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

export const DEFAULT_DB_PATH = path.join('runs', 'acmix-lab.db');

export interface OpenOptions {
  /** Open for queries only (the dashboard): no migration, writes fail. */
  readonly?: boolean;
  /** How long a write waits for another process's transaction before failing; default 60 s. */
  busyTimeoutMs?: number;
}

/** A database that cannot be opened or is not one this version of acmix-lab understands. */
export class StoreError extends Error {
  override name = 'StoreError';
}

export function openDatabase(file: string, { readonly = false, busyTimeoutMs = 60_000 }: OpenOptions = {}): Db {
  if (readonly && !fs.existsSync(file)) throw new StoreError(`${file}: no such database`);
  if (!readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (err) {
    throw new StoreError(`${file}: cannot open database (${(err as Error).message})`);
  }
  try {
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      // FULL: a committed epoch survives power loss too, not only a killed process; one fsync per epoch is nothing.
      db.pragma('synchronous = FULL');
      migrate(db);
    }
    db.pragma('foreign_keys = ON');
    checkVersion(file, schemaVersion(db));
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError(`${file}: ${(err as Error).message}`);
  }
}

function checkVersion(file: string, version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(`${file}: schema version ${version} was written by a newer acmix-lab (this one knows ${SCHEMA_VERSION})`);
  }
  if (version === 0) throw new StoreError(`${file}: not an acmix-lab database`);
  if (version < SCHEMA_VERSION) {
    throw new StoreError(`${file}: schema version ${version} is older than ${SCHEMA_VERSION}; open it read-write once (any acmix-lab command that writes runs) to migrate it`);
  }
}

/**
 * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken at BEGIN, where the busy timeout
 * applies. A deferred transaction that reads first and then writes can fail with "database is locked"
 * at once under concurrent writers, even in WAL mode (SQLITE_BUSY_SNAPSHOT is not retried).
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
