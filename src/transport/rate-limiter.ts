// New-connection rate limit per source (wire spec §14, DESIGN §2): N admissions per sliding
// window per source, loopback exempt. Only counts and answers; closing the socket is the caller's job.

import { isLoopbackAddress, sourceKey } from './ip-address.js';
import { NEW_CONNECTIONS_PER_IP_PER_SECOND } from '../protocol/constants.js';

export interface ConnectionRateLimiterOptions {
  /** Connections admitted per source per window. @default 10 (spec §1, §14) */
  perSecond?: number;
  /** Length of the sliding window, ms. @default 1000 */
  windowMs?: number;
  /**
   * Sources tracked at once. When full, sources idle for a whole window are dropped first, then
   * the least recently admitted source (the reference never forgets an IP; §14). @default 10000
   */
  maxSources?: number;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

/**
 * Sliding-window limiter: a source may open `perSecond` connections in any `windowMs` span.
 * Refused attempts are not recorded, so a flooding source gets in again as soon as its admitted
 * connections age out (like the reference, which only refuses). Memory: at most `maxSources`
 * entries of at most `perSecond` timestamps each.
 */
export class ConnectionRateLimiter {
  private readonly perSecond: number;
  private readonly windowMs: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  /** Admission times per source key, oldest first. Map order = order of last admission. */
  private readonly admissions = new Map<string, number[]>();

  constructor(options: ConnectionRateLimiterOptions = {}) {
    this.perSecond = options.perSecond ?? NEW_CONNECTIONS_PER_IP_PER_SECOND;
    this.windowMs = options.windowMs ?? 1000;
    this.maxSources = options.maxSources ?? 10_000;
    this.now = options.now ?? (() => performance.now());
    if (!Number.isInteger(this.perSecond) || this.perSecond < 1) {
      throw new RangeError(`perSecond must be a positive integer, got ${this.perSecond}`);
    }
    if (!(this.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${this.windowMs}`);
    if (!Number.isInteger(this.maxSources) || this.maxSources < 1) {
      throw new RangeError(`maxSources must be a positive integer, got ${this.maxSources}`);
    }
  }

  /** Sources currently tracked (for tests and metrics). */
  get trackedSources(): number {
    return this.admissions.size;
  }

  /** Records and admits a new connection from `ip`, or returns false when over the limit. */
  allow(ip: string): boolean {
    if (isLoopbackAddress(ip)) return true;
    const now = this.now();
    const cutoff = now - this.windowMs;
    this.evictIdle(cutoff);

    const key = sourceKey(ip);
    const times = this.admissions.get(key) ?? [];
    let expired = 0;
    while (expired < times.length && times[expired]! <= cutoff) expired++;
    if (expired > 0) times.splice(0, expired);
    if (times.length >= this.perSecond) return false;

    times.push(now);
    this.admissions.delete(key); // move to the back: most recently admitted
    this.admissions.set(key, times);
    if (this.admissions.size > this.maxSources) {
      const oldest = this.admissions.keys().next().value as string;
      this.admissions.delete(oldest);
    }
    return true;
  }

  /** Drops sources whose last admission left the window; they are at the front of the map. */
  private evictIdle(cutoff: number): void {
    for (const [key, times] of this.admissions) {
      const last = times[times.length - 1];
      if (last !== undefined && last > cutoff) break;
      this.admissions.delete(key);
    }
  }
}
