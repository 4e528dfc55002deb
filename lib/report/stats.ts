/**
 * The report's figures, computed from rows already read: weeks, questions
 * answered in a thread and the time to the first reply, FAQ coverage, the
 * recurring groups and the classifier's health. Pure, so every figure is
 * tested on rows written by hand.
 *
 * @module
 */

import { addDays, type Day, dayOfMicros } from "../layout.ts";
import { isCovered } from "../faq/drafts.ts";
import type { AuditFigures, Cluster, FaqEntry, GoldLabel, ThreadMessage } from "../faq/drafts_input.ts";

/** The days a report covers, both included. */
export interface Window {
  /** The first day. */
  since: Day;
  /** The last day. */
  until: Day;
}

/**
 * The Monday of a day's week (weeks run Monday to Sunday, UTC).
 *
 * @param day A day.
 * @returns Its week's Monday.
 */
export function weekOf(day: Day): Day {
  const dow = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(day, -dow);
}

/**
 * The report's window: `until` defaults to today, `since` to the Monday seven
 * weeks before `until`'s week, so the default window is eight whole weeks (the
 * last one running to `until`).
 *
 * @param today Today, UTC.
 * @param since The `--since` flag.
 * @param until The `--until` flag.
 * @returns The window.
 * @throws {RangeError} When `since` is after `until`.
 */
export function reportWindow(today: Day, since?: Day, until?: Day): Window {
  const end = until ?? today;
  const start = since ?? addDays(weekOf(end), -49);
  if (start > end) throw new RangeError(`--since ${start} is after --until ${end}: swap them`);
  return { since: start, until: end };
}

/**
 * The Mondays of the weeks a window touches.
 *
 * @param window The window.
 * @returns The Mondays, in order.
 */
export function weeksOf(window: Window): Day[] {
  const out: Day[] = [];
  for (let w = weekOf(window.since); w <= window.until; w = addDays(w, 7)) out.push(w);
  return out;
}

/** The figures of one week. */
export interface WeekFigures {
  /** The week's Monday. */
  week: Day;
  /** Human messages posted, replies included. */
  messages: number;
  /** Questions: the classifier's candidates. */
  questions: number;
  /** Questions labeled FAQ. */
  faq: number;
  /** Questions with a reply in their thread from someone else. */
  answered: number;
  /** Median hours from a question to its first reply; null with no timed reply. */
  medianReplyHours: number | null;
  /** Questions the FAQ covers. */
  covered: number;
  /** Questions it does not. */
  uncovered: number;
}

/** One recurring question in the report. */
export interface GroupFigures {
  /** The group id. */
  id: string;
  /** Its canonical text. */
  text: string;
  /** Questions in the group, all time. */
  size: number;
  /** Of which asked in the window. */
  inWindow: number;
  /** The FAQ entry it matches, when it is covered. */
  faq: { id: string; question: string } | null;
  /** Its newest questions in the window, by message id. */
  recent: string[];
}

/** The classifier's health over the window. */
export interface HealthFigures {
  /** Candidates labeled. */
  candidates: number;
  /** Of which FAQ. */
  faq: number;
  /** Candidates inside the LLM band. */
  inBand: number;
  /** LLM requests answered. */
  llmAnswered: number;
  /** LLM answers from the cache. */
  llmCached: number;
  /** LLM requests failed. */
  llmFailed: number;
  /** Band items past the cap. */
  llmCapped: number;
  /** Decisions the LLM made. */
  llmDecided: number;
  /** Classifier versions seen. */
  versions: string[];
  /** The last audit, if any. */
  audit: AuditFigures | undefined;
}

/** Everything the report shows for one course. */
export interface CourseFigures {
  /** The course. */
  courseId: string;
  /** The channel name, when known. */
  channel: string | null;
  /** FAQ entries imported; `undefined` when there is no FAQ. */
  faqEntries: number | undefined;
  /** Per week. */
  weeks: WeekFigures[];
  /** Recurring groups, by size. */
  top: GroupFigures[];
  /** Uncovered groups, by size. */
  gaps: Cluster[];
  /** Whether any group was found (gold `canonical_id` or silver). */
  grouped: boolean;
  /** The classifier's health. */
  health: HealthFigures;
}

/** Inputs of {@linkcode courseFigures}. */
export interface CourseInputs {
  /** The course. */
  courseId: string;
  /** The channel name. */
  channel: string | null;
  /** The window. */
  window: Window;
  /** Gold labels of the window. */
  gold: readonly GoldLabel[];
  /** Bronze messages of the window and the days after it (for late replies). */
  messages: readonly ThreadMessage[];
  /** The silver groups. */
  clusters: readonly Cluster[];
  /** The FAQ, or `undefined`. */
  faq: readonly FaqEntry[] | undefined;
  /** The last audit. */
  audit: AuditFigures | undefined;
  /**
   * Groups listed at most.
   * @default {10}
   */
  topN?: number;
}

const HUMAN_SUBTYPES = new Set(["thread_broadcast", "file_share", "me_message"]);

/**
 * Whether a bronze message was written by a person (not a bot, join or tombstone).
 *
 * @param m The message.
 * @returns Whether it counts as a message.
 */
export function isHuman(m: ThreadMessage): boolean {
  return !m.deleted && !m.bot_id && (m.subtype === null || HUMAN_SUBTYPES.has(m.subtype));
}

/**
 * The median of some numbers.
 *
 * @param xs The numbers.
 * @returns The median, or null when there are none.
 */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function inWindow(micros: bigint, w: Window): boolean {
  const d = dayOfMicros(micros);
  return d >= w.since && d <= w.until;
}

/**
 * The groups of the window: the silver groups with a question in the window,
 * or, without silver, groups made from gold's `canonical_id`.
 *
 * @param gold Gold labels of the window.
 * @param clusters The silver groups.
 * @param window The window.
 * @returns The groups, with the window's question count.
 */
export function windowGroups(
  gold: readonly GoldLabel[],
  clusters: readonly Cluster[],
  window: Window,
): { cluster: Cluster; inWindow: string[] }[] {
  const members = new Map<string, string[]>();
  const memberOf = new Map<string, string>();
  for (const c of clusters) for (const id of c.member_ids) memberOf.set(id, c.id);
  for (const g of gold) {
    if (!inWindow(g.ts, window)) continue;
    const gid = memberOf.get(g.message_id) ?? g.canonical_id;
    if (!gid) continue;
    members.set(gid, [...(members.get(gid) ?? []), g.message_id]);
  }
  const byId = new Map(clusters.map((c) => [c.id, c]));
  const out: { cluster: Cluster; inWindow: string[] }[] = [];
  for (const [gid, ids] of members) {
    let cluster = byId.get(gid);
    if (!cluster) {
      const rows = gold.filter((g) => g.canonical_id === gid);
      const ts = rows.map((r) => r.ts).sort((a, b) => (a < b ? -1 : 1));
      cluster = {
        id: gid,
        canonical_text: rows.find((r) => r.canonical_text)?.canonical_text ?? rows[0]?.text ?? "",
        size: rows.length,
        first_seen: ts[0] ?? null,
        last_seen: ts[ts.length - 1] ?? null,
        faq_match_id: mostCommon(rows.map((r) => r.faq_match_id)),
        member_ids: rows.map((r) => r.message_id),
      };
    }
    out.push({ cluster, inWindow: ids });
  }
  return out.sort((a, b) =>
    b.cluster.size - a.cluster.size || b.inWindow.length - a.inWindow.length || (a.cluster.id < b.cluster.id ? -1 : 1)
  );
}

function mostCommon(xs: readonly (string | null)[]): string | null {
  const n = new Map<string, number>();
  for (const x of xs) if (x) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/**
 * Computes everything the report shows for one course.
 *
 * @param input The rows read for the course.
 * @returns The figures.
 */
export function courseFigures(input: CourseInputs): CourseFigures {
  const { window } = input;
  const weeks = weeksOf(window);
  const idx = new Map(weeks.map((w, i) => [w, i]));
  const rows: WeekFigures[] = weeks.map((week) => ({
    week,
    messages: 0,
    questions: 0,
    faq: 0,
    answered: 0,
    medianReplyHours: null,
    covered: 0,
    uncovered: 0,
  }));
  const weekRow = (micros: bigint) => rows[idx.get(weekOf(dayOfMicros(micros))) ?? -1];
  const seen = new Set<string>();
  const firstReply = new Map<bigint, bigint>();
  const askers = new Map<bigint, string | null>();
  for (const m of input.messages) if (m.is_thread_head) askers.set(m.ts, m.user_id);
  const heads = new Map(input.messages.filter((m) => m.is_thread_head).map((m) => [m.message_id, m]));
  for (const m of input.messages) {
    if (seen.has(m.message_id) || !isHuman(m)) continue;
    seen.add(m.message_id);
    if (inWindow(m.ts, window)) weekRow(m.ts)!.messages++;
    if (m.thread_ts !== null && m.ts !== m.thread_ts && m.user_id !== askers.get(m.thread_ts)) {
      const prev = firstReply.get(m.thread_ts);
      if (prev === undefined || m.ts < prev) firstReply.set(m.thread_ts, m.ts);
    }
  }
  const threaded = new Set(
    input.messages.flatMap((m) => (m.thread_ts !== null && m.ts !== m.thread_ts ? [m.thread_ts] : [])),
  );
  const delays = rows.map(() => [] as number[]);
  const faqIds = input.faq ? new Set(input.faq.map((e) => e.id)) : undefined;
  const health: HealthFigures = {
    candidates: 0,
    faq: 0,
    inBand: 0,
    llmAnswered: 0,
    llmCached: 0,
    llmFailed: 0,
    llmCapped: 0,
    llmDecided: 0,
    versions: [],
    audit: input.audit,
  };
  const versions = new Set<string>();
  const gold = input.gold.filter((g) => inWindow(g.ts, window));
  for (const g of gold) {
    const row = weekRow(g.ts)!;
    row.questions++;
    if (g.is_faq) row.faq++;
    const reply = firstReply.get(g.ts);
    if (reply !== undefined) {
      row.answered++;
      delays[idx.get(row.week)!]!.push(Number(reply - g.ts) / 3.6e9);
    } else if ((heads.get(g.message_id)?.reply_count ?? 0) > 0 && !threaded.has(g.ts)) {
      // Replies past the days read: answered, time unknown.
      row.answered++;
    }
    if (faqIds) {
      if (g.faq_status === "covered") row.covered++;
      else if (g.faq_status === "uncovered" || !g.faq_match_id || !faqIds.has(g.faq_match_id)) row.uncovered++;
      else row.covered++;
    }
    health.candidates++;
    if (g.is_faq) health.faq++;
    if (g.llm_status && g.llm_status !== "not_needed") health.inBand++;
    if (g.llm_status === "answered") health.llmAnswered++;
    if (g.llm_status === "cached") health.llmCached++;
    if (g.llm_status === "failed") health.llmFailed++;
    if (g.llm_status === "capped") health.llmCapped++;
    if (g.decision_source === "llm") health.llmDecided++;
    if (g.classifier_version) versions.add(g.classifier_version);
  }
  rows.forEach((r, i) => (r.medianReplyHours = median(delays[i]!)));
  health.versions = [...versions].sort();
  const groups = windowGroups(gold, input.clusters, window);
  const faqById = new Map((input.faq ?? []).map((e) => [e.id, e]));
  const status = new Map(gold.map((g) => [g.message_id, g.faq_status]));
  const coveredOf = (c: Cluster) => isCovered(c, faqIds, c.member_ids.map((id) => status.get(id) ?? null));
  const top: GroupFigures[] = groups.slice(0, input.topN ?? 10).map(({ cluster, inWindow }) => {
    const entry = cluster.faq_match_id && coveredOf(cluster) ? faqById.get(cluster.faq_match_id) : undefined;
    return {
      id: cluster.id,
      text: cluster.canonical_text,
      size: Math.max(cluster.size, inWindow.length),
      inWindow: inWindow.length,
      faq: entry ? { id: entry.id, question: entry.question } : null,
      recent: [...inWindow].sort().reverse().slice(0, 3),
    };
  });
  return {
    courseId: input.courseId,
    channel: input.channel,
    faqEntries: input.faq?.length,
    weeks: rows,
    top,
    gaps: groups.map((g) => g.cluster).filter((c) => !coveredOf(c)),
    grouped: groups.length > 0,
    health,
  };
}

/**
 * A link to a Slack message: `https://{domain}.slack.com/archives/{channel}/p{ts}`.
 *
 * @param domain The workspace domain.
 * @param channelId The channel id.
 * @param messageId The message id, `{course}:{ts_raw}`.
 * @returns The URL, or `undefined` when an input is missing or malformed.
 */
export function slackLink(domain: string | undefined, channelId: string | null, messageId: string): string | undefined {
  const m = /:(\d{1,12})\.(\d{1,6})$/.exec(messageId);
  if (!domain || !channelId || !m || !/^[A-Z0-9]+$/.test(channelId)) return undefined;
  return `https://${domain}.slack.com/archives/${channelId}/p${m[1]}${m[2]!.padEnd(6, "0")}`;
}
