/**
 * A lease on a course's raw files, so that two writers (`fetch` and `fetch`, or
 * `fetch` and `import:export`) never merge into the same raw day files at once.
 *
 * The merge reads a day file, adds messages and writes it back; two writers
 * doing that at the same time could each write a file without the other's new
 * messages. Whoever holds the lease is the only writer of the raw prefix.
 *
 * The `Lake` interface has no conditional write, so the lease is taken by
 * writing a claim, waiting a moment, and reading it back: of two claims made at
 * the same moment only the one read back by both wins. A lease expires unless
 * its holder renews it ({@linkcode RawLease.keep}), so a killed run blocks the
 * next one for at most the time to live.
 *
 * Minimal on purpose: a general `lib/lease.ts` may replace it.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { STATE_ROOT } from "../layout.ts";

/** The lease of a raw prefix is held by another run, and it did not come free in time. */
export class RawLeaseBusyError extends Error {
  /** The lease's key. */
  readonly key: string;
  /** Who holds it, as it said (`fetch`, `import:export`, with its start time). */
  readonly holder: string;
  /** When the holder's lease runs out unless renewed, ISO 8601. */
  readonly until: string;

  /**
   * @param key The lease key.
   * @param holder Who holds it.
   * @param until When it runs out.
   * @param prefix The raw prefix it guards.
   */
  constructor(key: string, holder: string, until: string, prefix: string) {
    super(
      `The raw files under "${prefix}" are being written by another run (${holder}; lease ${key} until ${until}): run again when it is done; if no such run is alive, the lease lapses by itself at that time`,
    );
    this.name = "RawLeaseBusyError";
    this.key = key;
    this.holder = holder;
    this.until = until;
  }
}

/** Options of {@linkcode withRawLease}. */
export interface RawLeaseOptions {
  /** Who takes the lease, shown to a run that finds it held, such as `fetch of course x`. */
  holder: string;
  /**
   * Milliseconds a lease lives unless renewed.
   * @default {60000}
   */
  ttlMs?: number;
  /**
   * Milliseconds to wait for a held lease to come free before giving up.
   * @default {900000} 15 minutes
   */
  waitMs?: number;
  /**
   * Milliseconds between writing a claim and reading it back.
   * @default {200}
   */
  settleMs?: number;
  /**
   * Told once when the lease is held by another run and this one starts to wait.
   * @default {undefined}
   */
  onWait?: (holder: string, until: string) => void;
  /**
   * The clock, in milliseconds since the epoch.
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Sleeps.
   * @default {setTimeout}
   */
  sleep?: (ms: number) => Promise<void>;
}

/** A lease held: renew it while working. */
export interface RawLease {
  /**
   * Renews the lease when a third of its time to live has passed.
   *
   * @throws {RawLeaseBusyError} When another run took it over (it had lapsed): stop writing.
   */
  keep(): Promise<void>;
}

interface Claim {
  owner: string;
  holder: string;
  until: number;
}

/**
 * The key of the lease that guards a raw prefix.
 *
 * @param rawPrefix The raw prefix, such as `raw/slack/x`; `""` for a lake that is all raw.
 * @returns The key, under `_state/lease/`.
 */
export function rawLeaseKey(rawPrefix: string): string {
  const p = rawPrefix.replace(/^\/+|\/+$/g, "");
  return `${STATE_ROOT}/lease/${p === "" ? "_root" : p}.json`;
}

async function readClaim(lake: Lake, key: string): Promise<Claim | null> {
  if (!(await lake.stat(key))) return null;
  try {
    const c = JSON.parse(new TextDecoder().decode(await lake.read(key)));
    if (typeof c?.owner === "string" && typeof c?.until === "number") return c as Claim;
  } catch { /* a torn or foreign file is no claim: it is overwritten */ }
  return null;
}

/**
 * Runs `fn` while holding the lease of a raw prefix, and lets it go after,
 * whatever `fn` did.
 *
 * @param lake The lake that holds the raw files.
 * @param rawPrefix The raw prefix guarded.
 * @param options Who takes it, and the timings.
 * @param fn The work; it calls `lease.keep()` now and then.
 * @returns What `fn` returns.
 * @throws {RawLeaseBusyError} When another run held the lease for longer than `waitMs`.
 * @example
 * ```ts
 * import { MemoryLake } from "../lake.ts";
 * import { withRawLease } from "./raw_lease.ts";
 * const n = await withRawLease(new MemoryLake(), "raw/slack/x", { holder: "doc" }, () => Promise.resolve(1));
 * ```
 */
export async function withRawLease<T>(
  lake: Lake,
  rawPrefix: string,
  options: RawLeaseOptions,
  fn: (lease: RawLease) => Promise<T>,
): Promise<T> {
  const key = rawLeaseKey(rawPrefix);
  const ttl = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const owner = crypto.randomUUID();
  const holder = `${options.holder}, started ${new Date(now()).toISOString()}`;
  const claim = async () => {
    const c: Claim = { owner, holder, until: now() + ttl };
    await lake.write(key, new TextEncoder().encode(JSON.stringify(c) + "\n"), { contentType: "application/json" });
    return c;
  };
  const giveUp = now() + (options.waitMs ?? 900_000);
  let told = false;
  for (;;) {
    const seen = await readClaim(lake, key);
    if (!seen || seen.until <= now() || seen.owner === owner) {
      await claim();
      await sleep(options.settleMs ?? 200);
      if ((await readClaim(lake, key))?.owner === owner) break;
      continue; // Another run claimed at the same moment and won: wait for it like any holder.
    }
    if (!told) options.onWait?.(seen.holder, new Date(seen.until).toISOString());
    told = true;
    if (now() >= giveUp) throw new RawLeaseBusyError(key, seen.holder, new Date(seen.until).toISOString(), rawPrefix);
    await sleep(Math.min(250, Math.max(1, seen.until - now())));
  }
  let renewed = now();
  const lease: RawLease = {
    async keep() {
      if (now() - renewed < ttl / 3) return;
      const seen = await readClaim(lake, key);
      if (seen?.owner !== owner) {
        throw new RawLeaseBusyError(
          key,
          seen?.holder ?? "unknown",
          new Date(seen?.until ?? 0).toISOString(),
          rawPrefix,
        );
      }
      await claim();
      renewed = now();
    },
  };
  try {
    return await fn(lease);
  } finally {
    // Let go only of our own lease: after a lapse it may be another run's.
    if ((await readClaim(lake, key).catch(() => null))?.owner === owner) await lake.delete(key).catch(() => {});
  }
}
