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
