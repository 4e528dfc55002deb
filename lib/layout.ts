/**
 * Pure builders and parsers of the lake's keys.
 *
 * The layout is a contract shared with Terraform's IAM prefixes, the Glue tables
 * and every Hive-partition reader, so it lives in one place:
 *
 * ```
 * raw/slack/{course_id}/year=YYYY/month=MM/day=DD/YYYY-MM-DD.json
 * bronze/slack/messages/course_id={course_id}/year=YYYY/month=MM/day=DD/part-00000.parquet
 * gold/faq_labels/course_id={course_id}/year=YYYY/month=MM/day=DD/part-00000.parquet
 * _meta/slack/users.json, channels.json
 * _state/…
 * ```
 *
 * @module
 */

/** A calendar day in UTC, as `YYYY-MM-DD`. */
export type Day = string;

/** Prefix of the raw Slack layer. */
export const RAW_ROOT = "raw/slack";
/** Prefix of the bronze messages table. */
export const BRONZE_ROOT = "bronze/slack/messages";
/** Prefix of the gold FAQ labels table. */
export const GOLD_ROOT = "gold/faq_labels";
/** Prefix of run state, manifests and quarantine reports. */
export const STATE_ROOT = "_state";

/** Prefix of the Slack names for mentions: `users.json` and `channels.json`. */
export const META_ROOT = "_meta/slack";

/** The one file each partition holds; a rewrite replaces it whole. */
export const PART_FILE = "part-00000.parquet";

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COURSE_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MICROS_PER_DAY = 86_400_000_000n;

/**
 * Checks that a course id is safe to use in keys and partition values.
 *
 * @param id The course id.
 * @returns The same id.
 * @throws {TypeError} When it has characters other than `a-z 0-9 _ -`.
 */
export function checkCourseId(id: string): string {
  if (!COURSE_RE.test(id)) {
    throw new TypeError(
      `Course id "${id}" is not valid: use 1 to 63 lower-case letters, digits, "-" or "_", starting with a letter or digit`,
    );
  }
  return id;
}

/**
 * Parses and checks a `YYYY-MM-DD` day.
 *
 * @param text The day.
 * @returns The same day, known to be a real calendar date.
 * @throws {RangeError} When it is not a real `YYYY-MM-DD` date.
 */
export function parseDay(text: string): Day {
  const m = DAY_RE.exec(text);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (d.toISOString().slice(0, 10) === text) return text;
  }
  throw new RangeError(`"${text}" is not a date: use YYYY-MM-DD, for example 2024-01-31`);
}

/**
 * The UTC day of a timestamp in microseconds since the epoch.
 *
 * @param micros Microseconds since 1970-01-01T00:00:00Z.
 * @returns The UTC day.
 * @example
 * ```ts
 * import { dayOfMicros } from "./layout.ts";
 * dayOfMicros(1704067199999999n); // "2023-12-31"
 * ```
 */
export function dayOfMicros(micros: bigint): Day {
  let days = micros / MICROS_PER_DAY;
  if (micros < 0n && days * MICROS_PER_DAY !== micros) days -= 1n;
  const { year, month, day } = civilFromDays(Number(days));
  return `${String(year).padStart(4, "0")}-${month < 10 ? "0" : ""}${month}-${day < 10 ? "0" : ""}${day}`;
}

/**
 * Year, month and day of a count of days since 1970-01-01 (proleptic
 * Gregorian), by integer arithmetic: no Date, no string parsing.
 *
 * @param z Days since the epoch.
 * @returns The civil date.
 */
export function civilFromDays(z: number): { year: number; month: number; day: number } {
  // Howard Hinnant's days_from_civil, inverted.
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/**
 * Adds days to a day.
 *
 * @param day A `YYYY-MM-DD` day.
 * @param n Days to add, negative to subtract.
 * @returns The new day.
 */
export function addDays(day: Day, n: number): Day {
  const t = Date.parse(`${day}T00:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

function hivePath(day: Day): string {
  return `year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}`;
}

/**
 * The key of a raw Slack day file.
 *
 * @param rawPrefix The course's raw prefix, such as `raw/slack/ml-zoomcamp`.
 * @param day The UTC day.
 * @returns The key.
 * @example
 * ```ts
 * import { rawDayKey } from "./layout.ts";
 * rawDayKey("raw/slack/ml", "2024-01-05");
 * // "raw/slack/ml/year=2024/month=01/day=05/2024-01-05.json"
 * ```
 */
export function rawDayKey(rawPrefix: string, day: Day): string {
  return joinKey(rawPrefix, `${hivePath(day)}/${day}.json`);
}

/**
 * The default raw prefix of a course.
 *
 * @param courseId The course id.
 * @returns `raw/slack/{courseId}`.
 */
export function defaultRawPrefix(courseId: string): string {
  return `${RAW_ROOT}/${courseId}`;
}

/** The table a partition belongs to. */
export type TableName = "bronze" | "gold";

function tableRoot(table: TableName): string {
  return table === "bronze" ? BRONZE_ROOT : GOLD_ROOT;
}

/**
 * The folder of one course's table, ending in `/`.
 *
 * @param table `bronze` or `gold`.
 * @param courseId The course id.
 * @returns The prefix.
 */
export function coursePrefix(table: TableName, courseId: string): string {
  return `${tableRoot(table)}/course_id=${courseId}/`;
}

/**
 * The folder of one partition, ending in `/`.
 *
 * @param table `bronze` or `gold`.
 * @param courseId The course id.
 * @param day The UTC day.
 * @returns The prefix.
 */
export function partitionPrefix(table: TableName, courseId: string, day: Day): string {
  return `${coursePrefix(table, courseId)}${hivePath(day)}/`;
}

/**
 * The key of a partition's Parquet file.
 *
 * @param table `bronze` or `gold`.
 * @param courseId The course id.
 * @param day The UTC day.
 * @returns The key.
 * @example
 * ```ts
 * import { partitionKey } from "./layout.ts";
 * partitionKey("bronze", "ml", "2024-01-05");
 * // "bronze/slack/messages/course_id=ml/year=2024/month=01/day=05/part-00000.parquet"
 * ```
 */
export function partitionKey(table: TableName, courseId: string, day: Day): string {
  return `${partitionPrefix(table, courseId, day)}${PART_FILE}`;
}

/** What a partition key says. */
export interface PartitionRef {
  /** The table. */
  table: TableName;
  /** The course id. */
  courseId: string;
  /** The UTC day. */
  day: Day;
}

const PARTITION_RE =
  /^(bronze\/slack\/messages|gold\/faq_labels)\/course_id=([^/]+)\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/[^/]+\.parquet$/;

/**
 * Parses a bronze or gold Parquet key.
 *
 * @param key A key.
 * @returns The partition, or `undefined` when the key is not a partition file.
 */
export function parsePartitionKey(key: string): PartitionRef | undefined {
  const m = PARTITION_RE.exec(key);
  if (!m) return undefined;
  const day = `${m[3]}-${m[4]}-${m[5]}`;
  return { table: m[1] === BRONZE_ROOT ? "bronze" : "gold", courseId: m[2]!, day };
}

const PATH_DAY_RE = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})/;
const FILE_DAY_RE = /(\d{4}-\d{2}-\d{2})[^/]*\.json$/;

/**
 * The day a raw key is filed under: its `year=/month=/day=` folders, or else
 * a `YYYY-MM-DD` in its file name.
 *
 * @param key A raw key.
 * @returns The day, or `undefined` when the key names none.
 */
export function rawKeyDay(key: string): Day | undefined {
  const m = PATH_DAY_RE.exec(key);
  const day = m ? `${m[1]}-${m[2]}-${m[3]}` : FILE_DAY_RE.exec(key)?.[1];
  if (day === undefined) return undefined;
  try {
    return parseDay(day);
  } catch {
    return undefined;
  }
}

/**
 * The listing prefixes that cover the raw files of the months from `since` to
 * `until`, so a windowed run lists only those months and never the history.
 *
 * @param rawPrefix The course's raw prefix.
 * @param since The first day.
 * @param until The last day.
 * @returns One prefix per month, in order.
 */
export function rawMonthPrefixes(rawPrefix: string, since: Day, until: Day): string[] {
  const out: string[] = [];
  let y = Number(since.slice(0, 4));
  let m = Number(since.slice(5, 7));
  const endY = Number(until.slice(0, 4));
  const endM = Number(until.slice(5, 7));
  while (y < endY || (y === endY && m <= endM)) {
    out.push(joinKey(rawPrefix, `year=${y}/month=${String(m).padStart(2, "0")}/`));
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

/**
 * The listing prefixes of date-named flat raw files (`{rawPrefix}/2024-02-01.json`)
 * of the months from `since` to `until`, one per month, next to
 * {@linkcode rawMonthPrefixes}' folders.
 *
 * @param rawPrefix The course's raw prefix.
 * @param since The first day.
 * @param until The last day.
 * @returns One prefix per month, such as `raw/slack/ml/2024-02`, in order.
 */
export function rawFlatMonthPrefixes(rawPrefix: string, since: Day, until: Day): string[] {
  return rawMonthPrefixes("", since, until).map((p) => {
    const m = /^year=(\d+)\/month=(\d{2})\/$/.exec(p)!;
    return joinKey(rawPrefix, `${m[1]!.padStart(4, "0")}-${m[2]}`);
  });
}

/**
 * Removes leading and trailing slashes.
 *
 * @param s A path.
 * @returns The path without them.
 */
export function trimSlash(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}

/**
 * Joins a prefix and a relative key with one `/`; an empty prefix adds nothing.
 *
 * @param prefix A key prefix, possibly empty.
 * @param rest The rest of the key.
 * @returns The key.
 */
export function joinKey(prefix: string, rest: string): string {
  const p = trimSlash(prefix);
  return p === "" ? rest : `${p}/${rest}`;
}

/**
 * The key of a course's ingest manifest.
 *
 * @param courseId The course.
 * @returns The key.
 */
export function manifestKey(courseId: string): string {
  return `${STATE_ROOT}/ingest/${courseId}/manifest.json`;
}

/**
 * The prefix of a course's change journal: one object per batch of bronze
 * partitions an ingest run rewrote. `label:daily` reads every object under it
 * and deletes what it has labeled, so the names carry no order.
 *
 * @param courseId The course.
 * @returns The prefix, ending in `/`.
 */
export function changesPrefix(courseId: string): string {
  return `${STATE_ROOT}/ingest/changes/${courseId}/`;
}

/**
 * The key of one change record.
 *
 * @param courseId The course.
 * @param recordId The record: the run id, and its batch number within the run.
 * @returns The key.
 */
export function changesKey(courseId: string, recordId: string): string {
  return `${changesPrefix(courseId)}${recordId}.json`;
}

/** The state folder each task keeps its leases in, inside what its IAM policy may write. */
const LEASE_HOME: Readonly<Record<string, string>> = Object.freeze({ ingest: "ingest", label: "classify" });

/**
 * The prefix of the lease objects of one task on one course: under the task's
 * own state (`_state/ingest/leases/…`, `_state/classify/leases/…` for `label`),
 * which its writer policy already covers.
 *
 * @param task The task that holds the lease, such as `ingest` or `label`.
 * @param courseId The course.
 * @returns The prefix, ending in `/`.
 */
export function leasePrefix(task: string, courseId: string): string {
  return `${STATE_ROOT}/${LEASE_HOME[task] ?? task}/leases/${courseId}/`;
}

/**
 * The key of one generation of a lease; zero-padded so keys sort by generation.
 *
 * @param task The task.
 * @param courseId The course.
 * @param generation The generation, 1 or more.
 * @returns The key.
 */
export function leaseKey(task: string, courseId: string, generation: number): string {
  return `${leasePrefix(task, courseId)}${String(generation).padStart(12, "0")}.json`;
}

/**
 * The key of one of the Slack name files.
 *
 * @param kind `users` or `channels`.
 * @returns `_meta/slack/users.json` or `_meta/slack/channels.json`.
 */
export function metaKey(kind: "users" | "channels"): string {
  return `${META_ROOT}/${kind}.json`;
}

/**
 * The key of a course's fetch state: its high-water mark and active threads.
 *
 * @param courseId The course.
 * @returns The key.
 */
export function fetchStateKey(courseId: string): string {
  return `${STATE_ROOT}/fetch/${courseId}.json`;
}

/** Root of the reference FAQ tables. */
export const FAQ_ROOT = "reference/faq";
/** Root of the canonical question groups. */
export const CLUSTERS_ROOT = "silver/faq_clusters";

/**
 * The key of a course's FAQ table.
 *
 * @param courseId The course.
 * @returns `reference/faq/course_id={course}/faq.parquet`.
 */
export function faqKey(courseId: string): string {
  return `${FAQ_ROOT}/course_id=${checkCourseId(courseId)}/faq.parquet`;
}

/**
 * The key of a course's canonical question groups.
 *
 * @param courseId The course.
 * @returns `silver/faq_clusters/course_id={course}/clusters.parquet`.
 */
export function clustersKey(courseId: string): string {
  return `${CLUSTERS_ROOT}/course_id=${checkCourseId(courseId)}/clusters.parquet`;
}
