/**
 * The maintainers' report: reads a window of gold labels, the canonical groups,
 * the FAQ, the bronze threads of the window and the last audit, and builds one
 * self-contained HTML page; `publishReport` files it in the lake under
 * `reports/latest/index.html` and `reports/{YYYY-MM-DD}/index.html`.
 *
 * It reads the window's partitions by key, never a listing of the history, so
 * its cost follows the window, not the lake's age.
 *
 * @module
 */

import type { Course } from "../config.ts";
import type { Lake } from "../lake.ts";
import { addDays, type Day } from "../layout.ts";
import { buildDrafts, type Draft } from "../faq/drafts.ts";
import {
  daysBetween,
  readClusters,
  readFaq,
  readGold,
  readLastAudit,
  readThreads,
  readThreadsOf,
} from "../faq/drafts_input.ts";
import { type CoursePage, renderPage } from "./html.ts";
import { courseFigures, slackLink, type Window } from "./stats.ts";

/** Options of {@linkcode buildReport}. */
export interface ReportOptions {
  /** The courses to report on. */
  courses: readonly Course[];
  /** The window. */
  window: Window;
  /**
   * The Slack workspace domain, for links to messages.
   * @default {undefined} no links
   */
  slackDomain?: string;
  /**
   * Days after the window in which replies to its questions are looked for.
   * @default {14}
   */
  replyDays?: number;
  /**
   * Gaps shown per course, each with a drafted answer.
   * @default {5}
   */
  gaps?: number;
  /**
   * The clock.
   * @default {() => new Date()}
   */
  now?: () => Date;
}

/** What a report run built. */
export interface ReportResult {
  /** The page. */
  html: string;
  /** Per course: messages, questions and groups in the window. */
  courses: { courseId: string; messages: number; questions: number; groups: number; gaps: number }[];
}

/**
 * Builds the report page.
 *
 * @param lake The lake.
 * @param options The courses, the window and the links.
 * @returns The page and a summary.
 * @example
 * ```ts ignore
 * const { html } = await buildReport(lake, { courses, window: reportWindow("2024-03-01") });
 * ```
 */
export async function buildReport(lake: Lake, options: ReportOptions): Promise<ReportResult> {
  const { window } = options;
  const days = daysBetween(window.since, window.until);
  const replyDays = daysBetween(addDays(window.until, 1), addDays(window.until, options.replyDays ?? 14));
  const pages: CoursePage[] = [];
  const summary: ReportResult["courses"] = [];
  for (const course of options.courses) {
    const [gold, messages, clusters, faq, audit] = await Promise.all([
      readGold(lake, course.id, days),
      readThreads(lake, course.id, [...days, ...replyDays]),
      readClusters(lake, course.id),
      readFaq(lake, course.id),
      readLastAudit(lake, course.id),
    ]);
    const channelOf = new Map(messages.map((m) => [m.message_id, m.channel_id]));
    const link = (messageId: string) =>
      slackLink(options.slackDomain, course.channelId ?? channelOf.get(messageId) ?? null, messageId);
    const figures = courseFigures({
      courseId: course.id,
      channel: course.channel,
      window,
      gold,
      messages,
      clusters,
      faq,
      audit,
    });
    const gaps = figures.gaps.slice(0, options.gaps ?? 5);
    let drafts: Draft[] = [];
    if (gaps.length > 0) {
      const members = gaps.flatMap((c) => c.member_ids.slice(-20));
      const threads = await readThreadsOf(lake, course.id, members);
      drafts = await buildDrafts({
        courseId: course.id,
        clusters: gaps.map((c) => ({ ...c, member_ids: c.member_ids.slice(-20) })),
        faq,
        gold,
        threads,
        staff: course.staff ?? [],
        minSize: 1,
        link,
      });
      // The report shows each gap's size as the group's, not the sample's.
      const size = new Map(gaps.map((c) => [c.id, c.size]));
      drafts = drafts.map((d) => ({ ...d, size: size.get(d.groupId) ?? d.size }));
    }
    pages.push({ figures, drafts, link });
    summary.push({
      courseId: course.id,
      messages: figures.weeks.reduce((n, w) => n + w.messages, 0),
      questions: figures.weeks.reduce((n, w) => n + w.questions, 0),
      groups: figures.top.length,
      gaps: figures.gaps.length,
    });
  }
  const html = renderPage(pages, { window, generatedAt: options.now?.() ?? new Date(), lakeUrl: lake.url });
  return { html, courses: summary };
}

/**
 * The keys a published report is written to.
 *
 * @param day The day it was built.
 * @returns The latest and the dated key.
 */
export function reportKeys(day: Day): [string, string] {
  return ["reports/latest/index.html", `reports/${day}/index.html`];
}

/**
 * Writes the page into the lake, as the latest report and the day's.
 *
 * @param lake The lake.
 * @param html The page.
 * @param day The day it was built.
 * @returns The keys written.
 */
export async function publishReport(lake: Lake, html: string, day: Day): Promise<string[]> {
  const bytes = new TextEncoder().encode(html);
  const keys = reportKeys(day);
  for (const key of keys) await lake.write(key, bytes, { contentType: "text/html; charset=utf-8" });
  return keys;
}
