/**
 * What FAQ drafts and the report read from the lake: gold labels, the
 * canonical groups (silver), the course's FAQ (reference), bronze threads and
 * the last audit.
 *
 * Every table is read defensively: a column the file lacks reads as null, and
 * timestamps of any unit come back as microseconds, so the readers work on
 * gold written before the FAQ columns existed and on tables written by any tool.
 *
 * @module
 */

import * as arrow from "apache-arrow";
import type { Lake } from "../lake.ts";
import { addDays, clustersKey, type Day, dayOfMicros, faqKey, partitionKey, STATE_ROOT } from "../layout.ts";
import { readParquetTable } from "../parquet.ts";

/** One gold label, with the FAQ columns null when gold predates them. */
export interface GoldLabel {
  message_id: string;
  ts: bigint;
  thread_ts: bigint | null;
  text: string | null;
  is_faq: boolean;
  score: number | null;
  decision_source: string | null;
  llm_status: string | null;
  classifier_version: string | null;
  faq_match_id: string | null;
  faq_match_score: number | null;
  faq_status: string | null;
  canonical_id: string | null;
  canonical_text: string | null;
}

/** One canonical group of the silver table. */
export interface Cluster {
  id: string;
  canonical_text: string;
  size: number;
  first_seen: bigint | null;
  last_seen: bigint | null;
  faq_match_id: string | null;
  member_ids: string[];
}

/** One entry of the course's FAQ (reference table). */
export interface FaqEntry {
  id: string;
  section: string;
  question: string;
  answer_plain: string;
  source_path: string | null;
}

/** One bronze message, the fields threads need. */
export interface ThreadMessage {
  message_id: string;
  channel_id: string | null;
  ts: bigint;
  ts_raw: string;
  thread_ts: bigint | null;
  is_thread_head: boolean;
  user_id: string | null;
  bot_id: string | null;
  subtype: string | null;
  text: string | null;
  text_plain: string | null;
  reactions: number;
  reply_count: number | null;
  latest_reply: bigint | null;
  deleted: boolean;
}

/** The last audit's figures for one course. */
export interface AuditFigures {
  /** The audit's day, from its file name. */
  day: Day;
  sample: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

const MICROS: Record<number, bigint> = { 0: 1_000_000n, 1: 1000n, 2: 1n };

function plain(v: unknown, type: arrow.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (arrow.DataType.isTimestamp(type)) {
    if (typeof v === "bigint") return type.unit === 3 ? v / 1000n : v * (MICROS[type.unit] ?? 1n);
    if (typeof v === "number") return BigInt(Math.round(v)) * 1000n;
  }
  if (typeof v === "bigint") return Number(v);
  if (v instanceof arrow.Vector) {
    const child = (type as arrow.List).children?.[0]?.type;
    return [...v].map((x) => (child ? plain(x, child) : x));
  }
  if (typeof v === "object" && "toJSON" in (v as object)) {
    const obj = (v as { toJSON(): Record<string, unknown> }).toJSON();
    const fields = (type as arrow.Struct).children ?? [];
    return Object.fromEntries(
      Object.entries(obj).map(([k, x]) => [k, plain(x, fields.find((f) => f.name === k)?.type ?? type)]),
    );
  }
  return v;
}

/**
 * Reads named columns of a Parquet file as plain rows: a column the file
 * lacks is null, 64-bit integers are numbers, and timestamps of any unit are
 * `bigint` microseconds.
 *
 * @param bytes Parquet bytes.
 * @param names The columns to read.
 * @returns The rows.
 * @throws {SyntaxError} When the bytes are not Parquet.
 */
export function readColumns(bytes: Uint8Array, names: readonly string[]): Record<string, unknown>[] {
  const table = readParquetTable(bytes);
  const rows: Record<string, unknown>[] = Array.from({ length: table.numRows }, () => ({}));
  for (const name of names) {
    const vector = table.getChild(name);
    if (!vector) {
      for (const r of rows) r[name] = null;
      continue;
    }
    const type = vector.type;
    const ts = arrow.DataType.isTimestamp(type);
    let i = 0;
    for (const data of vector.data) {
      const chunk = arrow.makeVector(data);
      for (let j = 0; j < data.length; j++, i++) {
        // Arrow's getter turns timestamps into float milliseconds; read the raw values.
        const raw = !data.getValid(j) ? null : ts ? (data.values as BigInt64Array)[data.offset + j]! : chunk.get(j);
        rows[i]![name] = plain(raw, type);
      }
    }
  }
  return rows;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const big = (v: unknown): bigint | null => (typeof v === "bigint" ? v : null);

async function readIfAny(lake: Lake, key: string): Promise<Uint8Array | undefined> {
  if (!(await lake.stat(key))) return undefined;
  return await lake.read(key);
}

const GOLD_NAMES = [
  "message_id",
  "ts",
  "thread_ts",
  "text",
  "is_faq",
  "score",
  "decision_source",
  "llm_status",
  "classifier_version",
  "faq_match_id",
  "faq_match_score",
  "faq_status",
  "canonical_id",
  "canonical_text",
];

/**
 * The gold labels of the given days.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param days The days; missing partitions are skipped.
 * @returns The labels.
 */
export async function readGold(lake: Lake, courseId: string, days: Iterable<Day>): Promise<GoldLabel[]> {
  const out: GoldLabel[] = [];
  for (const day of new Set(days)) {
    const bytes = await readIfAny(lake, partitionKey("gold", courseId, day));
    if (!bytes) continue;
    for (const r of readColumns(bytes, GOLD_NAMES)) {
      if (typeof r.message_id !== "string" || typeof r.ts !== "bigint") continue;
      out.push({
        message_id: r.message_id,
        ts: r.ts,
        thread_ts: big(r.thread_ts),
        text: str(r.text),
        is_faq: r.is_faq === true,
        score: num(r.score),
        decision_source: str(r.decision_source),
        llm_status: str(r.llm_status),
        classifier_version: str(r.classifier_version),
        faq_match_id: str(r.faq_match_id),
        faq_match_score: num(r.faq_match_score),
        faq_status: str(r.faq_status),
        canonical_id: str(r.canonical_id),
        canonical_text: str(r.canonical_text),
      });
    }
  }
  return out;
}

const BRONZE_NAMES = [
  "message_id",
  "channel_id",
  "ts",
  "ts_raw",
  "thread_ts",
  "is_thread_head",
  "user_id",
  "bot_id",
  "subtype",
  "text",
  "text_plain",
  "reactions",
  "reply_count",
  "latest_reply",
  "deleted",
];

/**
 * The bronze messages of the given days.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param days The days; missing partitions are skipped.
 * @returns The messages.
 */
export async function readThreads(lake: Lake, courseId: string, days: Iterable<Day>): Promise<ThreadMessage[]> {
  const out: ThreadMessage[] = [];
  for (const day of new Set(days)) {
    const bytes = await readIfAny(lake, partitionKey("bronze", courseId, day));
    if (!bytes) continue;
    for (const r of readColumns(bytes, BRONZE_NAMES)) {
      if (typeof r.message_id !== "string" || typeof r.ts !== "bigint") continue;
      const reactions = Array.isArray(r.reactions)
        ? (r.reactions as { count?: unknown }[]).reduce((n, x) => n + (num(x?.count) ?? 0), 0)
        : 0;
      out.push({
        message_id: r.message_id,
        channel_id: str(r.channel_id),
        ts: r.ts,
        ts_raw: str(r.ts_raw) ?? r.message_id.slice(r.message_id.indexOf(":") + 1),
        thread_ts: big(r.thread_ts),
        is_thread_head: r.is_thread_head !== false,
        user_id: str(r.user_id),
        bot_id: str(r.bot_id),
        subtype: str(r.subtype),
        text: str(r.text),
        text_plain: str(r.text_plain),
        reactions,
        reply_count: num(r.reply_count),
        latest_reply: big(r.latest_reply),
        deleted: r.deleted === true,
      });
    }
  }
  return out;
}

/**
 * The canonical groups of a course, or an empty list when the table is absent.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The groups.
 */
export async function readClusters(lake: Lake, courseId: string): Promise<Cluster[]> {
  const bytes = await readIfAny(lake, clustersKey(courseId));
  if (!bytes) return [];
  const names = ["id", "canonical_text", "size", "first_seen", "last_seen", "faq_match_id", "member_ids"];
  return readColumns(bytes, names).flatMap((r) => {
    if (typeof r.id !== "string") return [];
    const members = Array.isArray(r.member_ids) ? r.member_ids.filter((x): x is string => typeof x === "string") : [];
    return [{
      id: r.id,
      canonical_text: str(r.canonical_text) ?? "",
      size: num(r.size) ?? members.length,
      first_seen: big(r.first_seen),
      last_seen: big(r.last_seen),
      faq_match_id: str(r.faq_match_id),
      member_ids: members,
    }];
  });
}

/**
 * The course's FAQ entries, or `undefined` when none was imported.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The entries.
 */
export async function readFaq(lake: Lake, courseId: string): Promise<FaqEntry[] | undefined> {
  const bytes = await readIfAny(lake, faqKey(courseId));
  if (!bytes) return undefined;
  return readColumns(bytes, ["id", "section", "question", "answer_plain", "source_path"]).flatMap((r) =>
    typeof r.id === "string"
      ? [{
        id: r.id,
        section: str(r.section) ?? "general",
        question: str(r.question) ?? "",
        answer_plain: str(r.answer_plain) ?? "",
        source_path: str(r.source_path),
      }]
      : []
  );
}

/**
 * The last audit's figures for a course: the newest `_state/audit/{day}.json`
 * that names it.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The figures, or `undefined` when no audit names the course.
 */
export async function readLastAudit(lake: Lake, courseId: string): Promise<AuditFigures | undefined> {
  const keys: string[] = [];
  for await (const e of lake.list(`${STATE_ROOT}/audit/`)) {
    // Only the day files at the top of _state/audit/, not samples or CSVs kept beside them.
    if (/^_state\/audit\/\d{4}-\d{2}-\d{2}\.json$/.test(e.key)) keys.push(e.key);
  }
  for (const key of keys.sort().reverse()) {
    let doc: { courses?: Record<string, Record<string, unknown>> };
    try {
      doc = JSON.parse(new TextDecoder().decode(await lake.read(key)));
    } catch {
      continue;
    }
    const c = doc?.courses?.[courseId];
    if (!c || typeof c !== "object") continue;
    return {
      day: key.slice(-15, -5),
      sample: num(c.sample),
      precision: num(c.precision),
      recall: num(c.recall),
      f1: num(c.f1),
    };
  }
  return undefined;
}

/**
 * The day a message id was posted on: ids are `{course}:{ts_raw}`.
 *
 * @param messageId A message id.
 * @returns The UTC day, or `undefined` when the id holds no Slack timestamp.
 */
export function dayOfMessageId(messageId: string): Day | undefined {
  const m = /:(\d{1,12})(?:\.(\d{1,6}))?$/.exec(messageId);
  if (!m) return undefined;
  return dayOfMicros(BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0")));
}

/**
 * Every day from `since` to `until`, inclusive.
 *
 * @param since The first day.
 * @param until The last day.
 * @returns The days in order.
 */
export function daysBetween(since: Day, until: Day): Day[] {
  const out: Day[] = [];
  for (let d = since; d <= until && out.length < 4000; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * The messages of the threads started by `heads`, replies included: reads the
 * heads' days, then the days up to each thread's latest reply (at most
 * `maxDays` later).
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param headIds The message ids of the thread heads.
 * @param maxDays How many days after a head its replies are looked for.
 * @returns The messages read, heads and replies.
 */
export async function readThreadsOf(
  lake: Lake,
  courseId: string,
  headIds: Iterable<string>,
  maxDays = 30,
): Promise<ThreadMessage[]> {
  const ids = new Set(headIds);
  const headDays = new Set<Day>();
  for (const id of ids) {
    const d = dayOfMessageId(id);
    if (d) headDays.add(d);
  }
  const first = await readThreads(lake, courseId, headDays);
  const more = new Set<Day>();
  for (const m of first) {
    if (!ids.has(m.message_id) || m.latest_reply === null || m.latest_reply <= m.ts) continue;
    const from = dayOfMicros(m.ts);
    const to = dayOfMicros(m.latest_reply);
    for (const d of daysBetween(addDays(from, 1), to).slice(0, maxDays)) if (!headDays.has(d)) more.add(d);
  }
  return [...first, ...(await readThreads(lake, courseId, more))];
}
