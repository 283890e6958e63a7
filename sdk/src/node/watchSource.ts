// File-system changes as an event source (the seed's F tags, inotify there, fs.watch here).
// Unsubscribing closes the watcher.
import { watch } from 'node:fs';
import { Observable } from 'rxjs';

export interface FileChange {
  readonly event: 'rename' | 'change';
  /** The changed entry's name relative to the watched path, when the platform reports it. */
  readonly filename: string | null;
}

export interface WatchSourceConfig {
  /** Watch subdirectories too (where the platform supports it). Default false. */
  readonly recursive?: boolean | undefined;
}

export function watchSource(path: string, config: WatchSourceConfig = {}): Observable<FileChange> {
  return new Observable<FileChange>((subscriber) => {
    const watcher = watch(path, { recursive: config.recursive ?? false }, (event, filename) => {
      subscriber.next({ event, filename: filename === null ? null : String(filename) });
    });
    watcher.on('error', (error) => subscriber.error(error));
    return () => watcher.close();
  });
}
