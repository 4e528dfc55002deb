/**
 * A lease per task and course, kept in the lake itself, so that two runs of one
 * task (two ingests from overlapping timers, two hosts) never work on the same
 * course at once, on a local folder as on S3.
 *
 * A lease is a series of small immutable objects,
 * `_state/{ingest|classify}/leases/{course}/{generation}.json`, each created with
 * {@linkcode Lake.writeIfAbsent}: whoever creates generation `n + 1` holds the
 * lease, and of two runs racing for it exactly one succeeds. The holder renews it
 * by creating the next generation before the current one expires; it releases
 * it by creating a generation marked `released`. A run that finds a live lease
 * held by someone else waits or refuses; a lease whose holder died (no renewal)
 * expires after its TTL and the next run takes it over. A holder that fails to
 * renew (its lease expired and was taken) is told through its `signal`, and
 * stops before writing more.
 *
 * Older generations are deleted as the lease moves on, so a course keeps one or
 * two lease objects, and one listing of its lease prefix costs one request.
 *
 * @module
 */

import { LeaseHeldError, type LeaseHolderInfo, LeaseLostError } from "./errors.ts";
import type { Lake } from "./lake_api.ts";
import { leaseKey, leasePrefix } from "./layout.ts";

export { LeaseHeldError, LeaseLostError };
export type { LeaseHolderInfo };

/** One generation of a lease, as stored. */
export interface LeaseRecord {
  /** Format version. */
  version: 1;
  /** The task. */
  task: string;
  /** The course. */
  course_id: string;
  /** The generation, 1 or more. */
  generation: number;
  /** Who holds it. */
  holder: LeaseHolderInfo & { run_id: string };
  /** When it runs out unless renewed, ISO 8601. */
  expires_at: string;
  /** The holder let it go: the next run may take it at once. */
  released: boolean;
}

/** Options of {@linkcode acquireLease}. */
export interface LeaseOptions {
  /** The task, such as `ingest` or `label`. */
  task: string;
  /** The course. */
  courseId: string;
  /**
   * Who asks.
   * @default {currentHolder()}
   */
  holder?: LeaseHolderInfo;
  /**
   * How long a lease lives without renewal, in ms; it is renewed every third of it.
   * @default {120000} 2 minutes
   */
  ttlMs?: number;
  /**
   * How long to wait for a busy lease before refusing, in ms.
   * @default {0} refuse at once
   */
  waitMs?: number;
  /**
   * How often a waiting run looks again, in ms.
   * @default {2000}
   */
  pollMs?: number;
  /**
   * The clock.
   * @default {() => new Date()}
   */
  now?: () => Date;
  /**
   * Whether a holder is still running: `false` frees its lease at once (a
   * killed run on this host), `undefined` leaves it to the TTL.
   * @default {holderAlive}
   */
  isAlive?: (holder: LeaseHolderInfo) => boolean | undefined;
  /**
   * Called once when the lease is busy and the run starts waiting for it, so a
   * log shows why a scheduled run is quiet.
   * @default {undefined}
   */
  onWait?: (holder: LeaseHolderInfo, expiresAt: string) => void;
}

/** A lease this run holds. */
export interface Lease {
  /** The generation it holds now. */
  readonly generation: number;
  /** Aborted with a {@linkcode LeaseLostError} when a renewal finds the lease taken. */
  readonly signal: AbortSignal;
  /** Creates the next generation with a fresh expiry; aborts `signal` when it cannot. */
  renew(): Promise<void>;
  /** Stops renewing and marks the lease released; safe to call twice. */
  release(): Promise<void>;
}

/** What {@linkcode decideLease} says of the latest generation. */
export type LeaseDecision =
  | { free: true; next: number }
  | { free: false; holder: LeaseRecord["holder"]; expiresAt: string };

/**
 * Decides whether a lease can be taken, from its latest generation.
 *
 * @param latest The latest generation, or `undefined` when there is none.
 * @param nowMs The current time in ms.
 * @returns Free with the generation to create, or busy with its holder.
 * @example
 * ```ts
 * import { decideLease } from "./lease.ts";
 * decideLease(undefined, Date.now()); // { free: true, next: 1 }
 * ```
 */
export function decideLease(latest: LeaseRecord | undefined, nowMs: number): LeaseDecision {
  if (!latest) return { free: true, next: 1 };
  const expires = Date.parse(latest.expires_at);
  if (latest.released || !(expires > nowMs)) return { free: true, next: latest.generation + 1 };
  return { free: false, holder: latest.holder, expiresAt: latest.expires_at };
}

/**
 * Parses a lease object.
 *
 * @param text The object's text.
 * @param key Its key, for the message.
 * @returns The record.
 * @throws {SyntaxError} When it is not a lease record; delete it to free the lease.
 */
export function parseLeaseRecord(text: string, key: string): LeaseRecord {
  let r: LeaseRecord;
  try {
    r = JSON.parse(text) as LeaseRecord;
  } catch (e) {
    throw new SyntaxError(`Lease ${key} is not valid JSON (${(e as Error).message}): delete it to free the lease`);
  }
  if (
    r?.version !== 1 || !Number.isInteger(r.generation) || typeof r.expires_at !== "string" ||
    typeof r.holder !== "object" || r.holder === null
  ) {
    throw new SyntaxError(`Lease ${key} has an unknown format: delete it to free the lease`);
  }
  return r;
}

/**
 * Who this process is, for the lease: host name, process id and start time.
 *
 * @param startedAt When the run started.
 * @returns The holder.
 */
export function currentHolder(startedAt: Date = new Date()): LeaseHolderInfo {
  let host = "unknown-host";
  try {
    host = Deno.hostname();
  } catch { /* no --allow-sys=hostname: the pid and start still tell runs apart */ }
  return { host, pid: Deno.pid, started_at: startedAt.toISOString() };
}

/**
 * Whether a lease holder still runs, when that can be known: a holder on this
 * host whose process is gone is dead (checked through `/proc`, so on Linux).
 * A holder on another host, or on a system without `/proc`, is `undefined`:
 * its lease ends with its TTL. A reused pid only makes a run wait for the TTL.
 *
 * @param holder The holder.
 * @returns `false` when it is known dead, `true` when its process runs, else `undefined`.
 */
export function holderAlive(holder: LeaseHolderInfo): boolean | undefined {
  let host: string;
  try {
    host = Deno.hostname();
    Deno.statSync("/proc/self");
  } catch {
    return undefined;
  }
  if (holder.host !== host) return undefined;
  try {
    Deno.statSync(`/proc/${holder.pid}`);
    return true;
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? false : undefined;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const GEN_RE = /(\d{12})\.json$/;

async function latestGeneration(lake: Lake, prefix: string): Promise<{ keys: string[]; latest?: LeaseRecord }> {
  const keys: string[] = [];
  for await (const e of lake.list(prefix)) if (GEN_RE.test(e.key)) keys.push(e.key);
  keys.sort();
  const last = keys.at(-1);
  if (last === undefined) return { keys };
  try {
    return { keys, latest: parseLeaseRecord(dec.decode(await lake.read(last)), last) };
  } catch (e) {
    // Deleted between the listing and the read: the holder moved on; look again.
    if ((e as Error)?.name === "LakeNotFoundError") return latestGeneration(lake, prefix);
    throw e;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Takes the lease of a task on a course, waiting up to `waitMs` for a busy one.
 * The lease renews itself until {@linkcode Lease.release}.
 *
 * @param lake The lake that holds the lease.
 * @param options The task, the course and the timings.
 * @returns The lease.
 * @throws {LeaseHeldError} When another live run holds it past `waitMs`.
 * @example
 * ```ts
 * import { MemoryLake } from "./lake.ts";
 * import { acquireLease } from "./lease.ts";
 * const lease = await acquireLease(new MemoryLake(), { task: "ingest", courseId: "ml" });
 * await lease.release();
 * ```
 */
export async function acquireLease(lake: Lake, options: LeaseOptions): Promise<Lease> {
  const now = options.now ?? (() => new Date());
  // Short, because a killed holder is only known dead once its lease runs out:
  // Deno's scoped permissions do not let a task look into /proc.
  const ttl = options.ttlMs ?? 120_000;
  const holder = { ...(options.holder ?? currentHolder(now())), run_id: crypto.randomUUID() };
  const prefix = leasePrefix(options.task, options.courseId);
  const deadline = now().getTime() + (options.waitMs ?? 0);
  const record = (generation: number, released: boolean): LeaseRecord => ({
    version: 1,
    task: options.task,
    course_id: options.courseId,
    generation,
    holder,
    expires_at: new Date(now().getTime() + ttl).toISOString(),
    released,
  });
  const create = (r: LeaseRecord) =>
    lake.writeIfAbsent(leaseKey(options.task, options.courseId, r.generation), enc.encode(JSON.stringify(r)), {
      contentType: "application/json",
    });
  const prune = async (below: number, keys?: string[]) => {
    for (const key of keys ?? (await latestGeneration(lake, prefix)).keys) {
      const g = Number(GEN_RE.exec(key)![1]);
      if (g < below) await lake.delete(key);
    }
  };

  let generation = 0;
  let waited = false;
  for (;;) {
    const { keys, latest } = await latestGeneration(lake, prefix);
    let d = decideLease(latest, now().getTime());
    if (!d.free && latest && (options.isAlive ?? holderAlive)(d.holder) === false) {
      d = { free: true, next: latest.generation + 1 }; // its holder was killed: no need to wait for the TTL
    }
    if (d.free) {
      if (await create(record(d.next, false))) {
        generation = d.next;
        await prune(generation, keys);
        break;
      }
      continue; // another run took it first: look at what it wrote
    }
    if (now().getTime() >= deadline) {
      throw new LeaseHeldError(options.task, options.courseId, d.holder, d.expiresAt);
    }
    if (!waited) options.onWait?.(d.holder, d.expiresAt);
    waited = true;
    await sleep(Math.min(options.pollMs ?? 2000, Math.max(1, deadline - now().getTime())));
  }

  const controller = new AbortController();
  let released = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy: Promise<void> = Promise.resolve();
  const renewOnce = async () => {
    if (released || controller.signal.aborted) return;
    const next = generation + 1;
    if (await create(record(next, false))) {
      generation = next;
      await prune(generation);
    } else {
      controller.abort(new LeaseLostError(options.task, options.courseId));
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      busy = renewOnce().catch((e) => {
        // A failed renewal (network) is retried at the next tick; the TTL leaves room for two.
        if (e instanceof LeaseLostError) controller.abort(e);
      }).finally(() => {
        if (!released && !controller.signal.aborted) schedule();
      });
    }, Math.max(1, Math.floor(ttl / 3)));
  };
  schedule();
  return {
    get generation() {
      return generation;
    },
    signal: controller.signal,
    renew: () => (busy = busy.then(renewOnce)),
    async release() {
      if (released) return;
      released = true;
      clearTimeout(timer);
      await busy.catch(() => {});
      if (controller.signal.aborted) return; // someone else holds it now
      const next = generation + 1;
      if (await create(record(next, true))) await prune(next);
    },
  };
}

/**
 * Runs `fn` while holding the lease of a task on a course, and releases it
 * afterwards whatever happened.
 *
 * @param lake The lake.
 * @param options The lease.
 * @param fn The work; its signal is aborted when the lease is lost.
 * @returns What `fn` returns.
 * @throws {LeaseHeldError} When the lease is busy past `waitMs`.
 */
export async function withLease<T>(
  lake: Lake,
  options: LeaseOptions,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const lease = await acquireLease(lake, options);
  try {
    return await fn(lease.signal);
  } finally {
    await lease.release();
  }
}
