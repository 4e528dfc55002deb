/**
 * The confusion audit of the deployed classifier over a window of gold
 * decisions (30 days by default).
 *
 * - **Sample.** Per course, `sample` gold rows of the window, stratified by
 *   decision source (`model`, `llm`) and score band (`p<0.20`, `0.20<=p<low`,
 *   `band` for `[low, high]`, `high<p<=0.80`, `p>0.80`), deterministic for the
 *   window's last day. Every non-empty stratum gives at least one row, the rest
 *   in proportion to its size.
 * - **Truth.** A human label from `labels/{course}/human.jsonl` where one
 *   exists; otherwise the LLM judge's answer (cached in the lake, so a rerun is
 *   free). A row with neither (no key, a failed or capped call) is counted as
 *   `unlabeled` and left out of the confusion matrix. Note that rows the LLM
 *   decided are judged by the same LLM, so they only count against the
 *   classifier where a human disagrees.
 * - **Report.** Per course: `sample` (= `tp + fp + fn + tn`), the matrix,
 *   precision, recall and F1 of the deployed decisions (`is_faq`), plus the
 *   share of the window's decisions that fell in the band and that the LLM made.
 *   It is written to `_state/audit/{until}.json` as `{"courses": {"<id>": {...}}}`.
 *
 * @module
 */

import type { Course } from "../config.ts";
import { GOLD_COLUMNS, type GoldRow } from "./label.ts";
import { metrics } from "./head.ts";
import type { Lake } from "../lake.ts";
import { addDays, coursePrefix, type Day, parsePartitionKey, STATE_ROOT } from "../layout.ts";
import { type LabelRecord, readLabelsFile } from "./labels_store.ts";
import type { LlmJudge } from "./llm.ts";
import { readParquetRows } from "../parquet.ts";
import { stratifiedSample } from "./sample.ts";

/** Options of {@linkcode audit}. */
export interface AuditOptions {
  /** The courses. */
  courses: readonly Course[];
  /** The window's last day. */
  until: Day;
  /**
   * The window's length in days, `until` included.
   * @default {30}
   */
  days?: number;
  /**
   * Gold rows drawn per course.
   * @default {100}
   */
  sample?: number;
  /**
   * The seed of the draw.
   * @default {undefined} the window's last day
   */
  seed?: string;
  /**
   * The LLM judge for rows with no human label.
   * @default {undefined} human labels only
   */
  llm?: LlmJudge;
  /**
   * The clock, for `generated_at`.
   * @default {() => new Date()}
   */
  now?: () => Date;
}

/** The audit of one course. */
export interface AuditCourseReport {
  /** Gold decisions in the window. */
  decisions: number;
  /** Rows drawn. */
  drawn: number;
  /** Drawn rows with a truth label: `tp + fp + fn + tn`. */
  sample: number;
  /** Drawn rows with no truth label (no human label and no LLM answer). */
  unlabeled: number;
  /** Of `sample`, labeled by a human. */
  human: number;
  /** Of `sample`, labeled by the LLM. */
  llm: number;
  /** True positives. */
  tp: number;
  /** False positives. */
  fp: number;
  /** False negatives. */
  fn: number;
  /** True negatives. */
  tn: number;
  /** Precision of the deployed decisions; `null` when it said no to every drawn one (tp + fp = 0). */
  precision: number | null;
  /** Recall; `null` when no drawn one is an FAQ (tp + fn = 0). */
  recall: number | null;
  /**
   * F1, `2tp / (2tp + fp + fn)`; `null` when the sample holds true negatives
   * only (nothing to find and nothing wrongly found: no F1, and no alert).
   */
  f1: number | null;
  /** Share of the window's decisions whose score fell in the LLM band. */
  band_share: number;
  /** Share of the window's decisions the LLM made. */
  llm_share: number;
  /** The classifier versions that made the window's decisions. */
  classifier_versions: string[];
  /** Per stratum (`{source}/{band}`): decisions in the window and rows drawn. */
  strata: Record<string, { decisions: number; drawn: number }>;
}

/** The audit report, as written to `_state/audit/{until}.json`. */
export interface AuditReport {
  /** Per course id. */
  courses: Record<string, AuditCourseReport>;
  /** The window's first day. */
  since: Day;
  /** The window's last day. */
  until: Day;
  /** The window's length. */
  days: number;
  /** When it ran, ISO 8601. */
  generated_at: string;
  /** LLM requests made. */
  llm_calls: number;
  /** LLM answers served from the cache. */
  llm_cache_hits: number;
  /** LLM requests that failed for good: their decisions are counted unlabeled. */
  llm_failed: number;
  /** Decisions not sent past the per-run call cap: counted unlabeled. */
  llm_capped: number;
}

/**
 * The key of an audit report.
 *
 * @param until The window's last day.
 * @returns `_state/audit/{until}.json`.
 */
export function auditKey(until: Day): string {
  return `${STATE_ROOT}/audit/${until}.json`;
}

/**
 * The score band of a gold row, for stratification.
 *
 * @param row The row's score and band.
 * @returns The band's name.
 * @example
 * ```ts
 * import { scoreBand } from "./audit.ts";
 * scoreBand({ score: 0.5, threshold_low: 0.45, threshold_high: 0.65 }); // "band"
 * ```
 */
export function scoreBand(row: Pick<GoldRow, "score" | "threshold_low" | "threshold_high">): string {
  const { score: p, threshold_low: low, threshold_high: high } = row;
  if (p >= low && p <= high) return "band";
  if (p < low) return p < 0.2 ? "p<0.20" : `0.20<=p<low`;
  return p > 0.8 ? "p>0.80" : "high<p<=0.80";
}

async function readWindow(lake: Lake, courseId: string, since: Day, until: Day): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    const ref = parsePartitionKey(e.key);
    if (!ref || ref.day < since || ref.day > until) continue;
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

/**
 * Audits the deployed classifier and writes the report.
 *
 * @param lake The lake.
 * @param options The courses, window, sample size and LLM.
 * @returns The report.
 * @throws {RangeError} When `days` or `sample` is not a positive whole number.
 */
export async function audit(lake: Lake, options: AuditOptions): Promise<AuditReport> {
  const days = options.days ?? 30;
  const n = options.sample ?? 100;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days ${days} must be a whole number of 1 or more`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sample ${n} must be a whole number of 1 or more`);
  const since = addDays(options.until, -(days - 1));
  const calls0 = options.llm?.calls ?? 0;
  const hits0 = options.llm?.cacheHits ?? 0;
  const report: AuditReport = {
    courses: {},
    since,
    until: options.until,
    days,
    generated_at: (options.now?.() ?? new Date()).toISOString(),
    llm_calls: 0,
    llm_cache_hits: 0,
    llm_failed: 0,
    llm_capped: 0,
  };
  for (const course of options.courses) {
    const rows = await readWindow(lake, course.id, since, options.until);
    const stratum = (r: GoldRow) => `${r.decision_source}/${scoreBand(r)}`;
    const drawn = stratifiedSample(rows, { n, seed: options.seed ?? options.until, stratum, id: (r) => r.message_id });
    const human = new Map(
      (await readLabelsFile<LabelRecord>(lake, course.id, "human")).map((r) => [r.message_id, r.label]),
    );
    const truth = new Map<number, { label: boolean; by: "human" | "llm" }>();
    const ask: number[] = [];
    drawn.forEach((r, i) => {
      const h = human.get(r.message_id);
      if (h !== undefined) truth.set(i, { label: h, by: "human" });
      else ask.push(i);
    });
    if (options.llm && ask.length > 0) {
      const answers = await options.llm.judge(ask.map((i) => drawn[i]!.text ?? ""));
      answers.forEach((a, k) => {
        if (a.status === "answered" || a.status === "cached") truth.set(ask[k]!, { label: a.answer.is_faq, by: "llm" });
        else if (a.status === "failed") report.llm_failed++;
        else report.llm_capped++;
      });
    }
    const idx = [...truth.keys()].sort((a, b) => a - b);
    const m = metrics(idx.map((i) => truth.get(i)!.label), idx.map((i) => drawn[i]!.is_faq));
    const strata: Record<string, { decisions: number; drawn: number }> = {};
    for (const r of rows) (strata[stratum(r)] ??= { decisions: 0, drawn: 0 }).decisions++;
    for (const r of drawn) strata[stratum(r)]!.drawn++;
    const share = (k: number) => (rows.length === 0 ? 0 : Number((k / rows.length).toFixed(4)));
    const ratio = (a: number, b: number) => (b === 0 ? null : Number((a / b).toFixed(4)));
    report.courses[course.id] = {
      decisions: rows.length,
      drawn: drawn.length,
      sample: idx.length,
      unlabeled: drawn.length - idx.length,
      human: idx.filter((i) => truth.get(i)!.by === "human").length,
      llm: idx.filter((i) => truth.get(i)!.by === "llm").length,
      tp: m.tp,
      fp: m.fp,
      fn: m.fn,
      tn: m.tn,
      precision: ratio(m.tp, m.tp + m.fp),
      recall: ratio(m.tp, m.tp + m.fn),
      f1: ratio(2 * m.tp, 2 * m.tp + m.fp + m.fn),
      band_share: share(rows.filter((r) => scoreBand(r) === "band").length),
      llm_share: share(rows.filter((r) => r.decision_source === "llm").length),
      classifier_versions: [...new Set(rows.map((r) => r.classifier_version))].sort(),
      strata,
    };
  }
  report.llm_calls = (options.llm?.calls ?? 0) - calls0;
  report.llm_cache_hits = (options.llm?.cacheHits ?? 0) - hits0;
  await lake.write(auditKey(options.until), new TextEncoder().encode(JSON.stringify(report, null, 1) + "\n"), {
    contentType: "application/json",
  });
  return report;
}

/**
 * The courses whose F1 is below a floor, or that could not be measured though
 * they made decisions.
 *
 * @param report The audit.
 * @param minF1 The floor.
 * @returns One line per failing course.
 */
export function belowFloor(report: AuditReport, minF1: number): string[] {
  const out: string[] = [];
  for (const [id, c] of Object.entries(report.courses)) {
    if (c.sample === 0 && c.decisions > 0) {
      out.push(`${id}: no drawn decision has a human or LLM label, so F1 cannot be measured`);
    } else if (c.f1 !== null && c.f1 < minF1) {
      out.push(`${id}: F1 ${c.f1.toFixed(3)} is below --min-f1 ${minF1}`);
    }
  }
  return out;
}
