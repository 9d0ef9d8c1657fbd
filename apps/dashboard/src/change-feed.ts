// Live updates while a sweep writes: SQLite's `PRAGMA data_version` changes whenever another
// connection commits, so polling it costs one cheap statement per interval and no file watching.
// Listeners (the event stream's clients) hear the new version; polling runs only while they exist.
import type { StoreReader } from '@acmix-lab/store';

export class ChangeFeed {
  private readonly listeners = new Set<(version: number) => void>();
  private timer: NodeJS.Timeout | undefined;
  private last: number;

  constructor(private readonly reader: StoreReader, private readonly intervalMs: number) {
    this.last = this.version();
  }

  /** Changes with every commit of another connection (a training process, the sweep runner). */
  version(): number {
    return this.reader.db.pragma('data_version', { simple: true }) as number;
  }

  subscribe(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => this.poll(), this.intervalMs);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    const version = this.version();
    if (version === this.last) return;
    this.last = version;
    for (const listener of this.listeners) listener(version);
  }
}

/**
 * Answers computed once per database version: between two commits every client asking gets the same
 * answer, so a table of thousands of runs is queried once per change, not once per request.
 */
export class VersionedCache<T> {
  private version = -1;
  private readonly values = new Map<string, T>();

  constructor(private readonly feed: ChangeFeed) {}

  get(key: string, compute: () => T): T {
    const version = this.feed.version();
    if (version !== this.version) {
      this.values.clear();
      this.version = version;
    }
    if (!this.values.has(key)) this.values.set(key, compute());
    return this.values.get(key)!;
  }
}
