/**
 * `label:bootstrap`: the first training labels of a course, from its history.
 *
 * 1. **Sample.** The prefilter's candidates (top-level human messages that
 *    look like a question) are read from bronze and sampled, stratified by
 *    month, `sample` per course, deterministic for a seed
 *    ({@linkcode stratifiedSample}). Messages that are not candidates are never
 *    sampled: the head only ever scores candidates, so they teach it nothing.
 * 2. **LLM labels.** The LLM judge (the fallback's client, redaction, lake
 *    cache and per-run cap) labels each sampled message, positives and
 *    negatives, with its confidence and reason. A message a human already
 *    labeled is not sent. A rerun with the same seed is served by the cache.
 * 3. **FAQ weak labels.** A sampled message whose best FAQ match is
 *    `covered` (the matcher's high-score rule) is a positive, with the
 *    match's score as confidence. The FAQ never gives negatives: a question no
 *    entry answers may well be a new FAQ that the document lacks.
 *
 * It writes `labels/{course}/sample.jsonl`, `llm.jsonl` and `faq.jsonl`
 * (see `labels_store.ts`), merged by `message_id`.
 *
 * @module
 */

import type { Course } from "../config.ts";
import type { Lake } from "../lake.ts";
import { coursePrefix, type Day, parsePartitionKey } from "../layout.ts";
import { type LabelRecord, mergeLabelsFile, readLabelsFile, type SampleRecord } from "./labels_store.ts";
import type { LlmJudge } from "./llm.ts";
import { redactSecrets } from "../redact.ts";
import { BRONZE_COLUMNS, readParquetRows } from "../parquet.ts";
import { stratifiedSample } from "./sample.ts";
import { readFaq } from "../faq/store.ts";
import { buildFaqIndex } from "../faq/match.ts";
import type { BronzeRow } from "../slack/message.ts";

/** The best FAQ match of a text: which entry, how close, and whether that counts as answered. */
export interface FaqHit {
  /** The FAQ entry's id. */
  faqId: string;
  /** The matcher's score. */
  score: number;
  /** Whether the score is high enough for the entry to answer the text. */
  covered: boolean;
}

/** Matches one text to a course's FAQ; `undefined` when nothing matches at all. */
export type FaqMatcher = (text: string) => FaqHit | undefined;

/**
 * Gives a course's FAQ matcher, or `undefined` when the course has no FAQ in
 * the lake.
 */
export type FaqMatcherFactory = (courseId: string) => Promise<FaqMatcher | undefined>;

/**
 * The FAQ matcher of a lake, for `label:bootstrap`: the course's FAQ from
 * `reference/faq/` (`readFaq`) indexed by the lexical matcher of `lib/faq`
 * (`buildFaqIndex`); a best match that clears the index's `covered` threshold
 * counts as answered.
 *
 * @param lake The lake whose `reference/faq/` holds the FAQ entries.
 * @returns The matcher factory; it gives `undefined` for a course with no FAQ.
 */
export function faqMatcherFor(lake: Lake): FaqMatcherFactory {
  return async (courseId) => {
    const entries = await readFaq(lake, courseId);
    if (!entries || entries.length === 0) return undefined;
    const index = buildFaqIndex(entries);
    return (text) => {
      const best = index.match(text, 1)[0];
      return best && { faqId: best.faq_id, score: best.score, covered: index.isCovered(best.score) };
    };
  };
}

/** Options of {@linkcode bootstrap}. */
export interface BootstrapOptions {
  /** The courses. */
  courses: readonly Course[];
  /** Picks candidates among bronze rows. */
  prefilter: (row: BronzeRow) => boolean;
  /**
   * Messages sampled per course.
   * @default {200}
   */
  sample?: number;
  /**
   * The seed of the draw: the same seed draws the same messages.
   * @default {1}
   */
  seed?: string | number;
  /**
   * First day of bronze read.
   * @default {undefined} the first partition
   */
  since?: Day;
  /**
   * Last day of bronze read.
   * @default {undefined} the last partition
   */
  until?: Day;
  /**
   * The LLM judge; without it only FAQ labels are written.
   * @default {undefined}
   */
  llm?: LlmJudge;
  /**
   * The FAQ matcher per course: a covered best match is a positive label.
   * Without it, or when it gives `undefined` for a course, there are no FAQ
   * labels for that course.
   * @default {undefined}
   */
  faq?: FaqMatcherFactory;
}

/** What bootstrap did for one course. */
export interface BootstrapCourseSummary {
  /** The course. */
  courseId: string;
  /** Candidates in bronze, in the window. */
  candidates: number;
  /** Months they span (the strata). */
  months: number;
  /** Messages sampled. */
  sampled: number;
  /** Sampled messages a human had labeled already (not sent to the LLM). */
  human: number;
  /** LLM labels written this run. */
  llm: number;
  /** Of which FAQ. */
  llmPositive: number;
  /** FAQ (positive) labels written this run. */
  faq: number;
  /** Whether the course has an FAQ matcher. */
  faqAvailable: boolean;
  /** Sampled messages with no label from this run. */
  unlabeled: number;
}

/** What bootstrap did. */
export interface BootstrapSummary {
  /** Per course. */
  courses: BootstrapCourseSummary[];
  /** Whether the LLM was asked. */
  llm: boolean;
  /** LLM requests made. */
  llmCalls: number;
  /** LLM answers served from the cache. */
  llmCacheHits: number;
  /** LLM calls that failed for good. */
  llmFailed: number;
  /** Messages past the per-run call cap. */
  llmCapped: number;
}

/** What bootstrap keeps of a candidate: a long history holds many, so not the whole bronze row. */
interface Candidate {
  message_id: string;
  text_plain: string | null;
  year: number;
  month: number;
}

function monthOf(row: Candidate): string {
  return `${row.year}-${String(row.month).padStart(2, "0")}`;
}

async function readCandidates(lake: Lake, courseId: string, options: BootstrapOptions): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for await (const e of lake.list(coursePrefix("bronze", courseId))) {
    const ref = parsePartitionKey(e.key);
    if (!ref || (options.since && ref.day < options.since) || (options.until && ref.day > options.until)) continue;
    for (const row of readParquetRows<BronzeRow>(BRONZE_COLUMNS, await lake.read(e.key))) {
      if (options.prefilter(row)) {
        out.push({ message_id: row.message_id, text_plain: row.text_plain, year: row.year, month: row.month });
      }
    }
  }
  return out;
}

/**
 * Samples candidates and writes LLM and FAQ labels to `labels/{course}/`.
 *
 * @param lake The lake.
 * @param options The courses, sample, seed, window, LLM and FAQ matcher.
 * @returns What was done.
 * @example
 * ```ts ignore
 * const summary = await bootstrap(lake, { courses, prefilter: makePrefilter(), sample: 200, seed: 1, llm });
 * ```
 */
export async function bootstrap(lake: Lake, options: BootstrapOptions): Promise<BootstrapSummary> {
  const summary: BootstrapSummary = {
    courses: [],
    llm: options.llm !== undefined,
    llmCalls: 0,
    llmCacheHits: 0,
    llmFailed: 0,
    llmCapped: 0,
  };
  const calls0 = options.llm?.calls ?? 0;
  const hits0 = options.llm?.cacheHits ?? 0;
  for (const course of options.courses) {
    const candidates = await readCandidates(lake, course.id, options);
    const sampled = stratifiedSample(candidates, {
      n: options.sample ?? 200,
      seed: options.seed ?? 1,
      stratum: monthOf,
      id: (r) => r.message_id,
    });
    // Bronze keeps what people pasted; the labels files and the CSV made of them keep no secret.
    const texts = sampled.map((r) => redactSecrets(r.text_plain ?? ""));
    const s: BootstrapCourseSummary = {
      courseId: course.id,
      candidates: candidates.length,
      months: new Set(candidates.map(monthOf)).size,
      sampled: sampled.length,
      human: 0,
      llm: 0,
      llmPositive: 0,
      faq: 0,
      faqAvailable: false,
      unlabeled: 0,
    };
    await mergeLabelsFile<SampleRecord>(
      lake,
      course.id,
      "sample",
      sampled.map((r, i) => ({ message_id: r.message_id, text: texts[i]!, month: monthOf(r) })),
    );
    const labeled = new Set<string>();

    const humanIds = new Set((await readLabelsFile<LabelRecord>(lake, course.id, "human")).map((r) => r.message_id));
    const toAsk = sampled.map((_, i) => i).filter((i) => !humanIds.has(sampled[i]!.message_id));
    s.human = sampled.length - toAsk.length;
    for (const r of sampled) if (humanIds.has(r.message_id)) labeled.add(r.message_id);
    if (options.llm && toAsk.length > 0) {
      const results = await options.llm.judge(toAsk.map((i) => texts[i]!));
      const records: LabelRecord[] = [];
      results.forEach((res, k) => {
        const i = toAsk[k]!;
        if (res.status === "answered" || res.status === "cached") {
          records.push({
            message_id: sampled[i]!.message_id,
            text: texts[i]!,
            label: res.answer.is_faq,
            source: "llm",
            confidence: res.answer.confidence,
            reason: res.answer.reason,
          });
          labeled.add(sampled[i]!.message_id);
          if (res.answer.is_faq) s.llmPositive++;
        } else if (res.status === "failed") summary.llmFailed++;
        else summary.llmCapped++;
      });
      s.llm = records.length;
      await mergeLabelsFile(lake, course.id, "llm", records);
    }

    const matcher = options.faq ? await options.faq(course.id) : undefined;
    if (matcher) {
      s.faqAvailable = true;
      const records: LabelRecord[] = [];
      sampled.forEach((r, i) => {
        const hit = matcher(texts[i]!);
        if (!hit?.covered) return;
        records.push({
          message_id: r.message_id,
          text: texts[i]!,
          label: true,
          source: "faq",
          confidence: Math.min(1, Math.max(0, Number(hit.score.toFixed(4)))),
          reason: `answered by FAQ entry ${hit.faqId} (score ${hit.score.toFixed(3)})`,
        });
        labeled.add(r.message_id);
      });
      s.faq = records.length;
      await mergeLabelsFile(lake, course.id, "faq", records);
    }
    s.unlabeled = sampled.length - labeled.size;
    summary.courses.push(s);
  }
  summary.llmCalls = (options.llm?.calls ?? 0) - calls0;
  summary.llmCacheHits = (options.llm?.cacheHits ?? 0) - hits0;
  return summary;
}
