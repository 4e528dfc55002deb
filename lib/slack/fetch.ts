/**
 * The daily feed: each course channel, from the Slack Web API into the raw
 * layout, incrementally.
 *
 * Per course, a run reads `conversations.history` (every page) and, for every
 * thread head with replies and every thread still active, `conversations.replies`.
 * Messages are merged into the raw day files with the very code `import:export`
 * uses ({@linkcode addToGroups}, {@linkcode flushDay}): one message per `ts`, the
 * newer version wins, and a file is written only when its bytes change.
 *
 * State lives in `_state/fetch/{course}.json`: the newest `ts` seen (the
 * high-water mark) and the threads active in the lookback window. A later run
 * reads the history from the high-water mark minus the lookback, and refetches
 * the replies of the active threads, so late replies and recent edits are
 * caught. The state is written only after the raw files it covers, so a run
 * that stops loses nothing: the next one starts from the old state again.
 *
 * @module
 */

import type { Course } from "../config.ts";
import type { Lake } from "../lake.ts";
import { type Day, fetchStateKey } from "../layout.ts";
import { microsToIso, parseSlackTs } from "./message.ts";
import { storeNames } from "./names.ts";
import { addToGroups, type DayGroups, flushDay, type MergeCounts, type Msg } from "./raw_merge.ts";
import { RawLeaseBusyError, type RawLeaseOptions, withRawLease } from "./raw_lease.ts";
import { type CallStats, SlackApiError, type SlackReader } from "./web_api.ts";
import { redactExcerpt, redactJson, redactReport } from "../redact.ts";

/** The fetch state of one course. */
export interface FetchState {
  /** Format version. */
  version: 1;
  /** The course. */
  course_id: string;
  /** The channel it was fetched from. */
  channel_id: string;
  /** The newest message `ts` seen, Slack's string. */
  high_water_ts: string | null;
  /** Threads active in the lookback window: thread `ts` -> the `ts` of its latest activity. */
  threads: Record<string, string>;
}

/** What a run did for one course. */
export interface FetchCourseSummary extends CallStats, MergeCounts {
  /** The course. */
  courseId: string;
  /** The channel, or `null` when the course has none. */
  channelId: string | null;
  /** `ok`, `skipped` (no `channel_id`) or `failed`. */
  status: "ok" | "skipped" | "failed";
  /** Why it was skipped or failed, and what to do. */
  note: string | null;
  /** Slack's error code when it failed. */
  errorCode: string | null;
  /** Messages received, replies and repeats included. */
  received: number;
  /** Threads whose replies were fetched. */
  threadsRefreshed: number;
  /** The history fetched from, or `null` for the whole history. */
  oldest: string | null;
}

/** What a run did. */
export interface FetchSummary {
  /** Per course, in the order given. */
  courses: FetchCourseSummary[];
  /** The names step: counts, keys written, or why it failed. */
  names: { users: number; channels: number; written: string[]; warning: string | null } & CallStats;
}

/** Progress of a run, for a progress line. */
export interface FetchProgress {
  /** The course. */
  courseId: string;
  /** What it is doing. */
  phase: "history" | "replies" | "write";
  /** Pages, threads or days done. */
  done: number;
  /** Threads or days in all, when known. */
  total: number | null;
}

/** Options of {@linkcode fetchCourses}. */
export interface FetchOptions {
  /** The courses; those without `channelId` are skipped with a note. */
  courses: readonly Course[];
  /**
   * Days before the high-water mark that a later run reads again.
   * @default {7}
   */
  lookbackDays?: number;
  /**
   * Read the history from this UTC day instead of the state's high-water mark.
   * @default {undefined} the whole history on a first run
   */
  since?: Day;
  /**
   * Opens a course's `raw_prefix` when it is a full URL.
   * @default {undefined} such courses fail with a clear error
   */
  openSource?: (url: string) => Lake | Promise<Lake>;
  /**
   * Store `users.list` and `conversations.list` in `_meta/slack/`.
   * @default {true}
   */
  names?: boolean;
  /**
   * Called as work advances.
   * @default {undefined}
   */
  onProgress?: (p: FetchProgress) => void;
  /**
   * Timings of the lease on each course's raw files (see {@linkcode withRawLease}).
   * @default {undefined} a 60 s lease, waited for up to 15 minutes
   */
  lease?: Omit<RawLeaseOptions, "holder">;
}

const MICROS_PER_DAY = 86_400_000_000n;
const encoder = new TextEncoder();

function micros(ts: string): bigint {
  return parseSlackTs(ts)!.micros;
}

function tsOfMicros(m: bigint): string {
  return `${m / 1_000_000n}.${String(m % 1_000_000n).padStart(6, "0")}`;
}

function emptySummary(course: Course): FetchCourseSummary {
  return {
    courseId: course.id,
    channelId: course.channelId,
    status: "ok",
    note: null,
    errorCode: null,
    apiCalls: 0,
    pages: 0,
    rateLimitWaits: 0,
    received: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    threadsRefreshed: 0,
    rawFilesWritten: 0,
    rawFilesUnchanged: 0,
    problems: [],
    oldest: null,
  };
}

/**
 * What to do about a Slack error, for a course and its channel.
 *
 * @param e The error.
 * @param course The course.
 * @returns A message that names the course and the channel and says what to do.
 */
export function explainSlackError(e: SlackApiError, course: Course): string {
  const where = `Course ${course.id}, channel ${course.channelId}`;
  switch (e.code) {
    case "invalid_auth":
    case "not_authed":
    case "token_revoked":
    case "token_expired":
    case "account_inactive":
      return `${where}: Slack refused the token (${e.code}): set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…) and check the app is still installed`;
    case "not_in_channel":
      return `${where}: the bot is not a member of the channel (not_in_channel): invite it by typing /invite @your-bot in the channel`;
    case "channel_not_found":
      return `${where}: Slack does not know the channel (channel_not_found): check channel_id in courses.yml; for a private channel invite the bot (/invite @your-bot) and grant groups:history`;
    case "missing_scope":
      return `${where}: the app lacks the scope ${
        e.needed ?? "it needs"
      } (missing_scope): add channels:history (public channels) or groups:history (private channels) under OAuth & Permissions, reinstall the app, and update SLACK_BOT_TOKEN`;
    case "network":
      return `${where}: ${e.message}: check the network and SLACK_API_URL, then run again (what was fetched is kept)`;
    case "bad_response":
    case "cursor_loop":
    case "too_many_pages":
      return `${where}: ${e.message}: check that SLACK_API_URL points at Slack's Web API (unset it for Slack's own), then run again (what was fetched is kept)`;
    default:
      return `${where}: ${e.message}: run again; if it persists, check Slack's status page`;
  }
}

async function loadState(lake: Lake, course: Course): Promise<FetchState | null> {
  const key = fetchStateKey(course.id);
  if (!(await lake.stat(key))) return null;
  let s: FetchState;
  try {
    s = JSON.parse(new TextDecoder().decode(await lake.read(key)));
  } catch (e) {
    throw new SyntaxError(`Fetch state ${key} is not valid JSON (${(e as Error).message}): delete it to fetch again`);
  }
  if (s?.version !== 1 || typeof s.threads !== "object" || s.threads === null) {
    throw new TypeError(`Fetch state ${key} has an unknown format: delete it to fetch the whole history again`);
  }
  // Another channel means another history: start over.
  return s.channel_id === course.channelId ? s : null;
}

/** The latest activity of a message: its `ts`, or its thread's latest reply. */
function activity(m: Msg, ts: bigint): bigint {
  const latest = parseSlackTs(m.latest_reply)?.micros ?? 0n;
  return latest > ts ? latest : ts;
}

/** Writes the state, once every raw file it covers is written, and only when it changes. */
async function writeState(
  lake: Lake,
  course: Course,
  channel: string,
  high: bigint,
  threads: Map<string, bigint>,
  lookback: bigint,
): Promise<void> {
  const keep: Record<string, string> = {};
  const cut = high - lookback;
  for (const [t, at] of [...threads.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (at >= cut) keep[t] = tsOfMicros(at);
  }
  const next: FetchState = {
    version: 1,
    course_id: course.id,
    channel_id: channel,
    high_water_ts: high > 0n ? tsOfMicros(high) : null,
    threads: keep,
  };
  const key = fetchStateKey(course.id);
  const bytes = encoder.encode(JSON.stringify(next, null, 1) + "\n");
  const before = (await lake.stat(key)) ? await lake.read(key) : undefined;
  if (!before || before.length !== bytes.length || !before.every((b, i) => b === bytes[i])) {
    await lake.write(key, bytes, { contentType: "application/json" });
  }
}

/**
 * Fetches one course's channel into raw. Errors from Slack end the course:
 * what was received is still merged, the state stays as it was.
 */
async function fetchCourse(
  reader: SlackReader,
  lake: Lake,
  course: Course,
  options: FetchOptions,
): Promise<FetchCourseSummary> {
  const s = emptySummary(course);
  if (!course.channelId) {
    s.status = "skipped";
    s.note =
      `Course ${course.id} has no channel_id in courses.yml, so it was not fetched: add the channel's id (in Slack: channel details, at the bottom)`;
    return s;
  }
  const channel = course.channelId;
  reader.countInto(s);
  if (course.rawIsUrl && !options.openSource) {
    throw new TypeError(`Course ${course.id} has raw_prefix ${course.rawPrefix}, and this run cannot open URLs`);
  }
  const rawLake = course.rawIsUrl ? await options.openSource!(course.rawPrefix) : lake;
  const rawPrefix = course.rawIsUrl ? "" : course.rawPrefix;
  const state = await loadState(lake, course);
  const lookback = BigInt(options.lookbackDays ?? 7) * MICROS_PER_DAY;
  let oldest: bigint | null = null;
  if (options.since) oldest = BigInt(Date.parse(`${options.since}T00:00:00Z`)) * 1000n;
  else if (state?.high_water_ts) oldest = micros(state.high_water_ts) - lookback;
  if (oldest !== null && oldest < 0n) oldest = 0n;
  s.oldest = oldest === null ? null : microsToIso(oldest);

  const groups: DayGroups = new Map();
  const threads = new Map<string, bigint>(); // thread ts -> latest activity
  let high = state?.high_water_ts ? micros(state.high_water_ts) : 0n;
  const take = (m: unknown, where: string) => {
    const msg = typeof m === "object" && m !== null && !Array.isArray(m) ? m as Msg : undefined;
    const ts = parseSlackTs(msg?.ts);
    if (!msg || !ts) {
      s.problems.push(redactReport({
        file: where,
        entry: null,
        reason: `${where} answered an entry that is not a message with a Slack ts; it was not stored`,
        excerpt: redactExcerpt(redactJson(m) ?? String(m), 300),
      }));
      return;
    }
    s.received++;
    addToGroups(groups, ts.micros, msg);
    if (ts.micros > high) high = ts.micros;
    const thread = parseSlackTs(msg.thread_ts);
    const act = activity(msg, ts.micros);
    if (thread) {
      const prev = threads.get(thread.raw) ?? 0n;
      if (act > prev) threads.set(thread.raw, act);
    } else if (parseSlackTs(msg.latest_reply) || (typeof msg.reply_count === "number" && msg.reply_count > 0)) {
      threads.set(ts.raw, act);
    }
  };

  let failure: unknown = null;
  try {
    let pages = 0;
    const from = oldest === null ? undefined : tsOfMicros(oldest);
    for await (const page of reader.history(channel, from)) {
      for (const m of page) take(m, "conversations.history");
      options.onProgress?.({ courseId: course.id, phase: "history", done: ++pages, total: null });
    }
    // Threads seen now, and threads the state says were active within the lookback window.
    const horizon = oldest ?? 0n;
    for (const [t, last] of Object.entries(state?.threads ?? {})) {
      const at = parseSlackTs(last)?.micros ?? 0n;
      if (at >= horizon && parseSlackTs(t) && !threads.has(t)) threads.set(t, at);
    }
    // A message that is not a reply but has no replies has no thread to read.
    const toRead = [...threads.keys()].sort();
    let done = 0;
    for (const t of toRead) {
      for await (const page of reader.replies(channel, t)) for (const m of page) take(m, "conversations.replies");
      s.threadsRefreshed++;
      options.onProgress?.({ courseId: course.id, phase: "replies", done: ++done, total: toRead.length });
    }
  } catch (e) {
    failure = e;
  }

  // What was received is merged even after a failure: the merge is idempotent, and the state does not move.
  // The lease keeps another fetch or import:export from merging into the same files meanwhile.
  const days = [...groups.keys()].sort();
  try {
    await withRawLease(
      rawLake,
      rawPrefix,
      { ...options.lease, holder: `fetch of course ${course.id}` },
      async (lease) => {
        let written = 0;
        for (const day of days) {
          await lease.keep();
          await flushDay(rawLake, rawPrefix, day, groups.get(day)!, s);
          options.onProgress?.({ courseId: course.id, phase: "write", done: ++written, total: days.length });
        }
        if (failure === null) await writeState(lake, course, channel, high, threads, lookback);
      },
    );
  } catch (e) {
    if (!(e instanceof RawLeaseBusyError)) throw e;
    s.status = "failed";
    s.errorCode = "busy";
    s.note = `Course ${course.id}, channel ${channel}: ${e.message}`;
    return s;
  }
  if (failure !== null) {
    if (!(failure instanceof SlackApiError)) throw failure;
    s.status = "failed";
    s.errorCode = failure.code;
    s.note = explainSlackError(failure, course);
  }
  return s;
}

/**
 * Fetches every course's channel into raw, then the workspace's names into
 * `_meta/slack/`. A course that fails does not stop the others.
 *
 * @param reader The Web API reader.
 * @param lake The lake: raw (unless a course's `raw_prefix` is a URL), state and names.
 * @param options The courses, the lookback and the hooks.
 * @returns What was done, per course.
 * @throws {SyntaxError} When a course's state file is not JSON (before anything is fetched for it).
 */
export async function fetchCourses(reader: SlackReader, lake: Lake, options: FetchOptions): Promise<FetchSummary> {
  const courses: FetchCourseSummary[] = [];
  for (const course of options.courses) courses.push(await fetchCourse(reader, lake, course, options));
  const names: FetchSummary["names"] = {
    users: 0,
    channels: 0,
    written: [],
    warning: null,
    apiCalls: 0,
    pages: 0,
    rateLimitWaits: 0,
  };
  // Without a working token the names cannot come either; the courses already said why.
  const authFailed = courses.some((c) => ["invalid_auth", "not_authed", "token_revoked"].includes(c.errorCode ?? ""));
  if ((options.names ?? true) && !authFailed && courses.some((c) => c.status !== "skipped")) {
    reader.countInto(names);
    const incoming: { users?: unknown[]; channels?: unknown[] } = {};
    const problems: string[] = [];
    for (const kind of ["users", "channels"] as const) {
      try {
        incoming[kind] = kind === "users" ? await reader.users() : await reader.channels();
        names[kind] = incoming[kind]!.length;
      } catch (e) {
        if (!(e instanceof SlackApiError)) throw e;
        const scope = kind === "users" ? "users:read" : "channels:read and groups:read";
        problems.push(`${e.method}: ${e.code}${e.code === "missing_scope" ? ` (grant ${scope})` : ""}`);
      }
    }
    names.written = (await storeNames(lake, incoming)).written;
    if (problems.length > 0) {
      names.warning = `Names for mentions were not all refreshed (${
        problems.join("; ")
      }); the names already stored are kept, and mentions of unknown ids render as the id`;
    }
  }
  return { courses, names };
}
