// Chooses the fan-out: Redis pub/sub when `STAGE_REDIS_URL` (or `redisUrl`) is set (implementation owned by the
// scale-out work, loaded lazily), otherwise in-process.
import type { Fanout } from './Fanout.js';
import { InProcessFanout } from './InProcessFanout.js';

export interface OpenFanoutConfig {
  /** Overrides `STAGE_REDIS_URL`. */
  redisUrl?: string;
}

export async function openFanout(config: OpenFanoutConfig = {}): Promise<Fanout> {
  const url = config.redisUrl ?? process.env.STAGE_REDIS_URL;
  if (url) {
    const modulePath = './RedisFanout.js';
    const mod = (await import(modulePath)) as { RedisFanout: { open(url: string): Promise<Fanout> } };
    return mod.RedisFanout.open(url);
  }
  return new InProcessFanout();
}
