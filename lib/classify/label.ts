/**
 * Bronze to gold: FAQ labels for the candidate messages of each partition.
 *
 * For each bronze partition: the prefilter picks the candidates, the encoder
 * embeds them, the head scores them (`is_faq = p >= 0.5`), and inside the band
 * `[low, high]` the LLM decides instead when it is configured and answers. The
 * gold partition is then replaced whole, one row per candidate.
 *
 * What has been labeled is kept per course in
 * `_state/classify/{course}/labeled.json`: for each day, the bronze fingerprint,
 * the classifier and embedding versions and the band. A partition whose entry
 * matches is skipped (unless `force`), so an interrupted backfill resumes where
 * it stopped and a rerun costs nothing.
 *
 * `label:daily` finds its work in the ingest change journal
 * (`_state/ingest/changes/{course}/`): it reads every record there, whatever its
 * name or the clock of the run that wrote it, labels the days they name, saves
 * its state, and only then deletes the records it read. So a record written by
 * an overlapping or late run is never skipped, a killed daily run rereads what
 * it had not finished (unchanged partitions are skipped by fingerprint), and
 * the journal holds only what is not yet labeled: a daily run's requests do not
 * grow with history.
 *
 * `label:batch` also deletes gold partitions whose bronze partition is gone.
 *
 * Each course is labeled under the `label` lease (see `lease.ts`), shared by
 * `label:batch` and `label:daily`.
 *
 * @module
 */

import type { Course } from "../config.ts";
import type { Embedder } from "./embed.ts";
import { type Head, score } from "./head.ts";
import type { Lake } from "../lake.ts";
import { changesPrefix, coursePrefix, type Day, parsePartitionKey, partitionKey, STATE_ROOT } from "../layout.ts";
import { acquireLease, type LeaseHolderInfo } from "../lease.ts";
import type { LlmJudge, LlmResult } from "./llm.ts";
import { BRONZE_COLUMNS, col, type ColumnSpec, readParquetRows, writeParquet } from "../parquet.ts";
import type { BronzeRow } from "../slack/message.ts";
import { type CourseFaq, type FaqMatch, openCourseFaq } from "../faq/course.ts";
import { type Groups, openGroups } from "../faq/groups.ts";

/** The gold FAQ labels table (the seed's LabelRecord, plus the LLM's status). */
export const GOLD_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  col("course_id", "string", false),
  col("message_id", "string", false),
  col("ts", "timestamp", false),
  col("thread_ts", "timestamp"),
  col("is_thread_head", "bool", false),
  col("text", "string"),
  col("is_faq", "bool", false),
  col("score", "float64", false),
  col("decision_source", "string", false),
  col("threshold_low", "float64", false),
  col("threshold_high", "float64", false),
  col("classifier_name", "string", false),
  col("classifier_version", "string", false),
  col("llm_model", "string"),
  col("llm_confidence", "float64"),
  col("llm_status", "string", false),
  col("llm_reason", "string"),
  col("canonical_id", "string"),
  col("canonical_text", "string"),
  col("faq_matches", "faq_matches", false),
  col("faq_match_id", "string"),
  col("faq_match_score", "float64"),
  col("faq_status", "string"),
  col("embedding_model", "string", false),
  col("embedding_version", "string", false),
  col("labeled_at", "timestamp", false),
  col("year", "int32", false),
  col("month", "int32", false),
  col("day", "int32", false),
]);

/** One gold row. */
export interface GoldRow {
  course_id: string;
  message_id: string;
  ts: bigint;
  thread_ts: bigint | null;
  is_thread_head: boolean;
  text: string | null;
  is_faq: boolean;
  score: number;
  decision_source: "model" | "llm";
  threshold_low: number;
  threshold_high: number;
  classifier_name: string;
  classifier_version: string;
  llm_model: string | null;
  llm_confidence: number | null;
  /** `not_needed` (outside the band), `answered`, `cached`, `failed`, `capped` or `disabled`. */
  llm_status: string;
  llm_reason: string | null;
  canonical_id: string | null;
  canonical_text: string | null;
  /** The FAQ entries that best answer it, best first, at most 5. */
  faq_matches: FaqMatch[];
  faq_match_id: string | null;
  faq_match_score: number | null;
  /** `covered`, `uncovered`, or null when the course has no FAQ. */
  faq_status: "covered" | "uncovered" | null;
  embedding_model: string;
  embedding_version: string;
  labeled_at: bigint;
  year: number;
  month: number;
  day: number;
}

/** Options of {@linkcode label}. */
export interface LabelOptions {
  /** The courses. */
  courses: readonly Course[];
  /** The encoder. */
  embedder: Embedder;
  /** The head. */
  head: Head;
  /** Picks candidates among bronze rows. */
  prefilter: (row: BronzeRow) => boolean;
  /**
   * The LLM fallback; without it the model decides everywhere.
   * @default {undefined}
   */
  llm?: LlmJudge;
  /**
   * The band where the LLM decides.
   * @default {undefined} the head's thresholds
   */
  band?: { low: number; high: number };
  /**
   * `batch`: every bronze partition in the window; `daily`: the partitions the
   * ingest journal says changed since the last daily run, plus `date`.
   */
  mode: "batch" | "daily";
  /**
   * Batch: first day. @default {undefined}
   */
  since?: Day;
  /**
   * Batch: last day. @default {undefined}
   */
  until?: Day;
  /**
   * Daily: also label this day.
   * @default {undefined}
   */
  date?: Day;
  /**
   * Relabel partitions already labeled with the same versions.
   * @default {false}
   */
  force?: boolean;
  /**
   * The clock.
   * @default {() => new Date()}
   */
  now?: () => Date;
  /**
   * Fuse the encoder's cosine with the lexical FAQ ranking.
   * @default {undefined} on when the encoder is real, off for a synthetic one
   */
  fuseEncoder?: boolean;
  /**
   * Similarity a question needs to join a canonical group.
   * @default {undefined} `DEFAULT_GROUP_THRESHOLD` of `lib/faq/groups.ts`
   */
  groupThreshold?: number;
  /**
   * Called after each partition.
   * @default {undefined}
   */
  onProgress?: (p: { courseId: string; done: number; total: number }) => void;
  /**
   * The `label` lease of each course: who this run is, how long to wait for a
   * busy course (ms), the lease's time to live (ms).
   * @default {{}} this process; refuse a busy course at once; 2 minutes
   */
  lease?: {
    holder?: LeaseHolderInfo;
    waitMs?: number;
    ttlMs?: number;
    pollMs?: number;
    onWait?: (holder: LeaseHolderInfo, expiresAt: string) => void;
  };
  /**
   * Stops the run between two partitions.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What a labeling run did for one course. */
export interface LabelCourseSummary {
  /** The course. */
  courseId: string;
  /** Partitions considered. */
  partitions: number;
  /** Partitions labeled this run. */
  labeled: number;
  /** Partitions skipped as up to date. */
  skipped: number;
  /** Gold partitions deleted because their bronze partition is gone (batch). */
  orphansRemoved: number;
  /** Bronze rows read. */
  messages: number;
  /** Candidates, one gold row each. */
  candidates: number;
  /** Candidates labeled FAQ. */
  faqs: number;
  /** Candidates in the band. */
  inBand: number;
  /** Decisions made by the LLM. */
  llmDecided: number;
  /** How FAQ matching ran: `lexical`, `fused` (with the encoder) or `none` (no FAQ). */
  faqPath: "lexical" | "fused" | "none";
  /** Candidates the FAQ covers. */
  covered: number;
  /** Canonical groups the run touched. */
  groupsTouched: number;
}

/** What a labeling run did. */
export interface LabelSummary {
  /** Per course. */
  courses: LabelCourseSummary[];
  /** LLM requests made. */
  llmCalls: number;
  /** LLM answers served from the cache. */
  llmCacheHits: number;
  /** Band items whose LLM call failed for good; the model decided. */
  llmFailed: number;
  /** Band items past the call cap; the model decided. */
  llmCapped: number;
}

interface LabeledEntry {
  bronze: string;
  classifier_version: string;
  embedding_version: string;
  band: [number, number];
  rows: number;
  labeled_at: string;
}

interface LabelState {
  version: 1;
  course_id: string;
  /** Written by earlier versions, which kept a cursor in the journal; ignored and dropped. */
  journal_cursor?: string | null;
  partitions: Record<Day, LabeledEntry>;
}

/**
 * The key of a course's labeling state.
 *
 * @param courseId The course.
 * @returns The key.
 */
export function labelStateKey(courseId: string): string {
  return `${STATE_ROOT}/classify/${courseId}/labeled.json`;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function loadState(lake: Lake, courseId: string): Promise<LabelState> {
  const key = labelStateKey(courseId);
  if (!(await lake.stat(key))) return { version: 1, course_id: courseId, partitions: {} };
  try {
    const s = JSON.parse(dec.decode(await lake.read(key))) as LabelState;
    if (s.version !== 1 || typeof s.partitions !== "object") throw new TypeError("unknown format");
    return s;
  } catch (e) {
    throw new SyntaxError(`Label state ${key} is not valid (${(e as Error).message}): delete it to relabel the course`);
  }
}

async function saveState(lake: Lake, state: LabelState): Promise<void> {
  await lake.write(labelStateKey(state.course_id), enc.encode(JSON.stringify(state, null, 1)), {
    contentType: "application/json",
  });
}

async function bronzeDays(lake: Lake, courseId: string, since?: Day, until?: Day): Promise<Map<Day, string>> {
  const out = new Map<Day, string>();
  for await (const e of lake.list(coursePrefix("bronze", courseId))) {
    const ref = parsePartitionKey(e.key);
    if (!ref || (since && ref.day < since) || (until && ref.day > until)) continue;
    out.set(ref.day, e.fingerprint);
  }
  return out;
}

/**
 * Labels bronze partitions and writes gold.
 *
 * @param lake The lake.
 * @param options What to label and with what.
 * @returns What was done.
 * @example
 * ```ts ignore
 * const summary = await label(lake, { courses, embedder, head, prefilter: makePrefilter(), mode: "batch" });
 * ```
 */
export async function label(lake: Lake, options: LabelOptions): Promise<LabelSummary> {
  const summary: LabelSummary = { courses: [], llmCalls: 0, llmCacheHits: 0, llmFailed: 0, llmCapped: 0 };
  for (const course of options.courses) {
    const lease = await acquireLease(lake, { task: "label", courseId: course.id, ...options.lease, now: options.now });
    try {
      const signal = AbortSignal.any([lease.signal, ...(options.signal ? [options.signal] : [])]);
      summary.courses.push(await labelCourse(lake, course.id, { ...options, signal }, summary));
    } finally {
      await lease.release();
    }
  }
  if (options.llm) {
    summary.llmCalls = options.llm.calls;
    summary.llmCacheHits = options.llm.cacheHits;
  }
  return summary;
}

/** A course's FAQ and groups, open for a run. */
interface CourseContext {
  faq: CourseFaq;
  groups: Groups;
}

/** Days the journal names, and the records that named them, to delete once labeled. */
async function readJournal(lake: Lake, courseId: string): Promise<{ days: Set<Day>; keys: string[] }> {
  const days = new Set<Day>();
  const keys: string[] = [];
  for await (const e of lake.list(changesPrefix(courseId))) {
    let record: { days?: unknown };
    try {
      record = JSON.parse(dec.decode(await lake.read(e.key)));
    } catch (err) {
      throw new SyntaxError(
        `Change record ${e.key} is not valid JSON (${
          (err as Error).message
        }): delete it and run label:batch for the course`,
      );
    }
    for (const d of Array.isArray(record.days) ? record.days : []) if (typeof d === "string") days.add(d);
    keys.push(e.key);
  }
  return { days, keys };
}

async function labelCourse(
  lake: Lake,
  courseId: string,
  options: LabelOptions,
  summary: LabelSummary,
): Promise<LabelCourseSummary> {
  const band = options.band ?? { low: options.head.thresholds.low, high: options.head.thresholds.high };
  const s: LabelCourseSummary = {
    courseId,
    partitions: 0,
    labeled: 0,
    skipped: 0,
    orphansRemoved: 0,
    messages: 0,
    candidates: 0,
    faqs: 0,
    inBand: 0,
    llmDecided: 0,
    faqPath: "none",
    covered: 0,
    groupsTouched: 0,
  };
  const state = await loadState(lake, courseId);
  const faq = await openCourseFaq(lake, courseId, {
    embedder: options.embedder,
    ...(options.fuseEncoder !== undefined ? { fuse: options.fuseEncoder } : {}),
  });
  s.faqPath = faq.path;
  const groups = await openGroups(lake, courseId, { threshold: options.groupThreshold });
  const ctx: CourseContext = { faq, groups };
  let days: Day[];
  let fingerprints = new Map<Day, string>();
  let consumed: string[] = [];
  if (options.mode === "batch") {
    fingerprints = await bronzeDays(lake, courseId, options.since, options.until);
    days = [...fingerprints.keys()].sort();
    s.orphansRemoved = await removeOrphans(lake, courseId, fingerprints, state, options);
  } else {
    const journal = await readJournal(lake, courseId);
    consumed = journal.keys;
    if (options.date) journal.days.add(options.date);
    days = [...journal.days].sort();
    for (const d of days) {
      const st = await lake.stat(partitionKey("bronze", courseId, d));
      if (st) fingerprints.set(d, st.fingerprint);
    }
  }
  s.partitions = days.length;
  let done = 0;
  // Partitions are read ahead and embedded together: a day has few candidates, and a forward
  // pass over 200 texts costs far less than 200 passes over one.
  let pending: Pending[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const vectors = await options.embedder.embed(pending.flatMap((p) => p.texts));
    let at = 0;
    for (const p of pending) {
      options.signal?.throwIfAborted();
      const rows = await writeLabels(
        lake,
        courseId,
        p,
        vectors.slice(at, at + p.texts.length),
        band,
        options,
        s,
        summary,
        ctx,
      );
      at += p.texts.length;
      state.partitions[p.day] = {
        bronze: p.fingerprint,
        classifier_version: options.head.version,
        embedding_version: options.embedder.modelVersion,
        band: [band.low, band.high],
        rows,
        labeled_at: (options.now?.() ?? new Date()).toISOString(),
      };
      s.labeled++;
      options.onProgress?.({ courseId, done: ++done, total: days.length });
    }
    pending = [];
    await saveState(lake, state);
  };
  for (const day of days) {
    options.signal?.throwIfAborted();
    const fp = fingerprints.get(day);
    const prev = state.partitions[day];
    const upToDate = prev !== undefined && prev.bronze === (fp ?? "") &&
      prev.classifier_version === options.head.version &&
      prev.embedding_version === options.embedder.modelVersion &&
      prev.band[0] === band.low && prev.band[1] === band.high;
    if (upToDate && !options.force) {
      s.skipped++;
      options.onProgress?.({ courseId, done: ++done, total: days.length });
      continue;
    }
    pending.push(await readCandidates(lake, courseId, day, fp, options, s));
    if (pending.reduce((n, p) => n + p.texts.length, 0) >= FLUSH_TEXTS || pending.length >= FLUSH_PARTITIONS) {
      await flush();
    }
  }
  await flush();
  s.groupsTouched = (await groups.save()).touched;
  if ("journal_cursor" in state) {
    delete state.journal_cursor;
    await saveState(lake, state);
  }
  // Only now that every day they name is labeled and saved: a kill before this rereads them.
  for (const key of consumed) await lake.delete(key);
  return s;
}

/** Deletes the gold partitions (in the window) whose bronze partition is gone, and forgets them. */
async function removeOrphans(
  lake: Lake,
  courseId: string,
  bronze: Map<Day, string>,
  state: LabelState,
  options: LabelOptions,
): Promise<number> {
  const orphans: string[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    const ref = parsePartitionKey(e.key);
    if (!ref || (options.since && ref.day < options.since) || (options.until && ref.day > options.until)) continue;
    if (!bronze.has(ref.day)) orphans.push(e.key);
  }
  for (const key of orphans) {
    await lake.delete(key);
    delete state.partitions[parsePartitionKey(key)!.day];
  }
  if (orphans.length > 0) await saveState(lake, state);
  return orphans.length;
}

/** Candidates per forward pass, at the least, before a flush. */
const FLUSH_TEXTS = 256;
/** Partitions read ahead at most before a flush. */
const FLUSH_PARTITIONS = 64;

/** A partition read and filtered, waiting for its embeddings. */
interface Pending {
  day: Day;
  /** The bronze file's fingerprint, or "" when the partition is gone. */
  fingerprint: string;
  candidates: BronzeRow[];
  texts: string[];
}

async function readCandidates(
  lake: Lake,
  courseId: string,
  day: Day,
  fingerprint: string | undefined,
  options: LabelOptions,
  s: LabelCourseSummary,
): Promise<Pending> {
  if (fingerprint === undefined) return { day, fingerprint: "", candidates: [], texts: [] };
  const rows = readParquetRows<BronzeRow>(BRONZE_COLUMNS, await lake.read(partitionKey("bronze", courseId, day)));
  s.messages += rows.length;
  const candidates = rows.filter(options.prefilter);
  return { day, fingerprint, candidates, texts: candidates.map((r) => r.text_plain ?? "") };
}

/** Scores a partition's candidates, asks the LLM inside the band, and replaces the gold partition. */
async function writeLabels(
  lake: Lake,
  courseId: string,
  p: Pending,
  vectors: Float32Array[],
  band: { low: number; high: number },
  options: LabelOptions,
  s: LabelCourseSummary,
  summary: LabelSummary,
  ctx: CourseContext,
): Promise<number> {
  const { candidates, texts, day } = p;
  const goldKey = partitionKey("gold", courseId, day);
  if (candidates.length === 0) {
    await lake.delete(goldKey);
    return 0;
  }
  const scores = vectors.map((v) => score(options.head, v));
  const bandIdx = scores.map((p, i) => (p >= band.low && p <= band.high ? i : -1)).filter((i) => i >= 0);
  s.inBand += bandIdx.length;
  const llmResults = new Map<number, LlmResult>();
  if (options.llm && bandIdx.length > 0) {
    const results = await options.llm.judge(bandIdx.map((i) => texts[i]!));
    bandIdx.forEach((i, k) => llmResults.set(i, results[k]!));
  }
  const matches = await ctx.faq.matchAll(texts, vectors);
  const previous = new Map<string, string | null>();
  if (await lake.stat(goldKey)) {
    for (const g of readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(goldKey))) {
      previous.set(g.message_id, g.canonical_id);
    }
  }
  const placed = ctx.groups.assign(candidates.map((r, i) => ({
    messageId: r.message_id,
    text: texts[i]!,
    ts: r.ts,
    previousGroup: previous.get(r.message_id) ?? null,
    faqMatchId: matches[i]!.status === "covered" ? matches[i]!.matches[0]!.faq_id : null,
  })));
  const labeledAt = BigInt((options.now?.() ?? new Date()).getTime()) * 1000n;
  const gold: GoldRow[] = candidates.map((r, i) => {
    const p = scores[i]!;
    const inBand = p >= band.low && p <= band.high;
    const result = llmResults.get(i);
    let isFaq = p >= options.head.thresholds.decision;
    let source: "model" | "llm" = "model";
    let status = inBand ? "disabled" : "not_needed";
    let confidence: number | null = null;
    let reason: string | null = null;
    if (result) {
      status = result.status;
      if (result.status === "answered" || result.status === "cached") {
        isFaq = result.answer.is_faq;
        source = "llm";
        confidence = result.answer.confidence;
        reason = result.answer.reason;
        s.llmDecided++;
      } else if (result.status === "failed") {
        reason = result.error;
        summary.llmFailed++;
      } else summary.llmCapped++;
    }
    if (isFaq) s.faqs++;
    const m = matches[i]!;
    if (m.status === "covered") s.covered++;
    return {
      course_id: courseId,
      message_id: r.message_id,
      ts: r.ts,
      thread_ts: r.thread_ts,
      is_thread_head: r.is_thread_head,
      text: r.text_plain,
      is_faq: isFaq,
      score: p,
      decision_source: source,
      threshold_low: band.low,
      threshold_high: band.high,
      classifier_name: options.head.classifier_name,
      classifier_version: options.head.version,
      llm_model: result && result.status !== "capped" ? options.llm!.model : null,
      llm_confidence: confidence,
      llm_status: status,
      llm_reason: reason,
      canonical_id: placed[i]!.id,
      canonical_text: placed[i]!.text,
      faq_matches: m.matches,
      faq_match_id: m.matches[0]?.faq_id ?? null,
      faq_match_score: m.matches[0]?.score ?? null,
      faq_status: m.status,
      embedding_model: options.embedder.modelId,
      embedding_version: options.embedder.modelVersion,
      labeled_at: labeledAt,
      year: r.year,
      month: r.month,
      day: r.day,
    };
  });
  s.candidates += gold.length;
  await lake.write(goldKey, writeParquet(GOLD_COLUMNS, gold), { contentType: "application/vnd.apache.parquet" });
  return gold.length;
}
