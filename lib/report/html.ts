/**
 * The report page: one self-contained HTML document with inline CSS and SVG
 * charts, no script, no font, no image and no request of any kind. It reads
 * on a phone (one column, wrapping cards) and on paper (print CSS).
 *
 * Every text from the lake goes through {@linkcode esc}.
 *
 * @module
 */

import { activityChart, answersChart, type Chart, coverageChart } from "./charts.ts";
import type { CourseFigures, Window } from "./stats.ts";
import { type Draft, questionTitle } from "../faq/drafts.ts";
import { dayOfMicros } from "../layout.ts";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escapes text for HTML content and attribute values.
 *
 * @param text Any text.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { esc } from "./html.ts";
 * esc(`<a href="x">`); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** One course's section, as the page renders it. */
export interface CoursePage {
  /** The figures. */
  figures: CourseFigures;
  /** Drafts for the largest gaps. */
  drafts: Draft[];
  /** A link to a message, when the workspace domain is configured. */
  link: (messageId: string) => string | undefined;
}

/** Options of {@linkcode renderPage}. */
export interface PageOptions {
  /** The window. */
  window: Window;
  /** When the page was built. */
  generatedAt: Date;
  /** The lake's URL, shown in the footer. */
  lakeUrl: string;
}

const CSS = `
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#fff;--soft:#f8fafc;--accent:#2563eb;--warn:#b45309}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 16px}
header{padding-top:20px;border-bottom:1px solid var(--line)}
h1{font-size:1.6rem;margin:0 0 4px}
h2{font-size:1.35rem;margin:0 0 8px}
h3{font-size:1.1rem;margin:24px 0 8px}
.meta,.muted{color:var(--muted)}
.meta{margin:0 0 12px}
nav ul{list-style:none;padding:0;margin:0 0 12px;display:flex;flex-wrap:wrap;gap:8px}
nav a{display:inline-block;padding:4px 10px;border:1px solid var(--line);border-radius:999px;text-decoration:none;color:var(--accent)}
section.course{padding:24px 0;border-bottom:1px solid var(--line)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;margin:12px 0}
.kpi{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.kpi b{display:block;font-size:1.4rem}
.kpi span{color:var(--muted);font-size:.9rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,460px),1fr));gap:16px}
figure.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff}
figure.chart figcaption{font-weight:600;font-size:.95rem;margin:0 0 4px}
figure.chart svg{display:block;width:100%;height:auto}
.note{background:var(--soft);border-left:4px solid var(--line);padding:10px 12px;margin:8px 0;border-radius:4px}
.note.warn{border-left-color:var(--warn)}
ol.groups{padding-left:1.6em;margin:0}
ol.groups li{margin:0 0 12px}
.q{font-weight:600;overflow-wrap:anywhere}
.tag{display:inline-block;font-size:.8rem;padding:1px 8px;border-radius:999px;border:1px solid var(--line);margin-right:6px}
.tag.ok{background:#dcfce7;border-color:#86efac}
.tag.gap{background:#fee2e2;border-color:#fca5a5}
.gap-card{border:1px solid var(--line);border-radius:8px;padding:12px;margin:0 0 12px}
.gap-card pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);padding:10px;border-radius:6px;font-size:.9rem;margin:8px 0 0}
code{font-size:.9em;overflow-wrap:anywhere}
details{margin:2px 0;color:var(--muted);font-size:.92rem}
details p{margin:4px 0;overflow-wrap:anywhere;color:var(--fg)}
summary{cursor:pointer}
dl.health{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.health dt{color:var(--muted)}
dl.health dd{margin:0}
footer{padding:16px;color:var(--muted);font-size:.9rem}
a{color:var(--accent)}
@media (max-width:600px){body{font-size:15px}h1{font-size:1.35rem}.kpi b{font-size:1.2rem}dl.health{grid-template-columns:1fr}dl.health dd{margin-bottom:6px}}
@media print{
  body{font-size:10.5pt;color:#000}
  nav{display:none}
  header,main,footer{max-width:none;padding:0}
  section.course{break-before:page;border:0}
  section.course:first-of-type{break-before:auto}
  figure.chart,.gap-card,.kpi,ol.groups li{break-inside:avoid}
  .charts{grid-template-columns:1fr 1fr}
  a{color:#000}
  .gap-card pre{background:none;border:1px solid #ccc}
}
`;

function fmtPct(n: number, d: number): string {
  return d > 0 ? `${Math.round((100 * n) / d)}%` : "–";
}

function fmtHours(h: number | null): string {
  if (h === null) return "–";
  if (h < 1) return `${Math.max(1, Math.round(h * 60))} min`;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} days`;
}

function figure(chart: Chart): string {
  return `<figure class="chart" data-chart="${esc(chart.name)}" data-bars="${chart.bars}" data-points="${chart.points}">
<figcaption>${esc(chart.title)}</figcaption>
${chart.svg.replace("<svg ", `<svg role="img" aria-label="${esc(chart.title)}" `)}
</figure>`;
}

function note(text: string, warn = false): string {
  return `<p class="note${warn ? " warn" : ""}">${text}</p>`;
}

function link(url: string | undefined, text: string): string {
  return url ? `<a href="${esc(url)}" rel="noreferrer noopener">${esc(text)}</a>` : esc(text);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
}

function coursePage(page: CoursePage): string {
  const f = page.figures;
  const total = (k: "messages" | "questions" | "faq" | "answered" | "covered" | "uncovered") =>
    f.weeks.reduce((n, w) => n + w[k], 0);
  const messages = total("messages");
  const questions = total("questions");
  const covered = total("covered");
  const uncovered = total("uncovered");
  const replyMedian = median(f.weeks.flatMap((w) => (w.medianReplyHours === null ? [] : [w.medianReplyHours])));
  const id = `course-${f.courseId}`;
  const out: string[] = [];
  out.push(`<section class="course" id="${esc(id)}">`);
  out.push(`<h2>${esc(f.courseId)}${f.channel ? ` <span class="muted">#${esc(f.channel)}</span>` : ""}</h2>`);
  if (messages === 0 && questions === 0) {
    out.push(note(
      `No messages from this course in the window. Either the channel was quiet, or ingestion has not run for these days: check <code>deno task ingest</code> and the bronze partitions of <code>${
        esc(f.courseId)
      }</code>.`,
      true,
    ));
    out.push(`</section>`);
    return out.join("\n");
  }
  out.push(`<div class="kpis">
<div class="kpi"><b>${messages}</b><span>messages</span></div>
<div class="kpi"><b>${questions}</b><span>questions (${total("faq")} FAQ-like)</span></div>
<div class="kpi"><b>${fmtPct(total("answered"), questions)}</b><span>answered in a thread</span></div>
<div class="kpi"><b>${fmtHours(replyMedian)}</b><span>median first reply (weekly medians)</span></div>
<div class="kpi"><b>${f.faqEntries === undefined ? "no FAQ" : fmtPct(covered, covered + uncovered)}</b><span>${
    f.faqEntries === undefined ? "imported for this course" : `covered by the FAQ (${f.faqEntries} entries)`
  }</span></div>
</div>`);
  const charts: string[] = [figure(activityChart(f.weeks))];
  if (questions > 0) {
    charts.push(figure(answersChart(f.weeks)));
    if (f.faqEntries !== undefined && covered + uncovered > 0) charts.push(figure(coverageChart(f.weeks)));
  }
  out.push(`<div class="charts">\n${charts.join("\n")}\n</div>`);
  if (questions === 0) {
    out.push(note(
      `${messages} message(s) were posted, but none was labeled a question in this window: either none asked anything, or <code>deno task label:batch</code> has not labeled these days yet.`,
    ));
  }
  if (f.faqEntries === undefined) {
    out.push(note(
      `This course has no FAQ in the lake, so coverage is not measured and every recurring question is a gap. Import one with <code>deno task faq:import SOURCE --course ${
        esc(f.courseId)
      }</code>.`,
    ));
  }
  out.push(`<h3>Top recurring questions</h3>`);
  if (!f.grouped) {
    out.push(note(
      questions === 0
        ? "No questions, so no recurring ones."
        : "The questions of this window are not grouped yet: labeling with FAQ matching fills <code>canonical_id</code> in gold and the groups in <code>silver/faq_clusters</code>.",
    ));
  } else {
    out.push(`<ol class="groups">`);
    for (const g of f.top) {
      const links = g.recent.map((m, i) => link(page.link(m), `thread ${i + 1}`)).filter((s) => s.startsWith("<a"));
      const title = questionTitle(g.text || "(no text)", 160);
      const full = g.text.replace(/\s+/g, " ").trim();
      const more = full.length > title.length + 20
        ? `<details><summary>the whole question</summary><p>${esc(full)}</p></details>`
        : "";
      out.push(`<li><div class="q">${esc(title)}</div>${more}
<div class="muted"><span class="tag ${g.faq ? "ok" : "gap"}">${
        g.faq ? "in the FAQ" : "not in the FAQ"
      }</span>asked ${g.inWindow}× in the window, ${g.size}× in all${
        g.faq ? ` · FAQ: <span class="faq-q">${esc(g.faq.question)}</span> <code>${esc(g.faq.id)}</code>` : ""
      }${links.length ? ` · ${links.join(", ")}` : ""}</div></li>`);
    }
    out.push(`</ol>`);
  }
  out.push(`<h3>FAQ gaps</h3>`);
  if (page.drafts.length === 0) {
    out.push(note(
      f.grouped ? "Every recurring question of this window is covered by the FAQ." : "No groups, so no gaps to show.",
    ));
  } else {
    out.push(
      `<p class="muted">The largest groups the FAQ does not cover, with a drafted answer. <code>deno task faq:drafts --course ${
        esc(f.courseId)
      }</code> writes them as FAQ files.</p>`,
    );
    for (const d of page.drafts) {
      const how = d.source === "staff"
        ? "a staff reply"
        : d.source === "reactions"
        ? "the most-reacted reply"
        : d.source === "llm"
        ? "written by the LLM from the replies"
        : "no reply yet";
      out.push(`<article class="gap-card"><div class="q">${esc(d.question)}</div>
<div class="muted">${d.size} question(s) · section <code>${esc(d.section)}</code> · answer: ${esc(how)} · <code>${
        esc(d.path)
      }</code></div>
<pre>${esc(d.answer)}</pre></article>`);
    }
  }
  out.push(`<h3>Classifier health</h3>`);
  const h = f.health;
  const audit = h.audit;
  out.push(`<dl class="health">
<dt>Candidates labeled</dt><dd>${h.candidates} (${h.faq} FAQ-like)</dd>
<dt>In the LLM band</dt><dd>${h.inBand} (${
    fmtPct(h.inBand, h.candidates)
  } of candidates), ${h.llmDecided} decided by the LLM</dd>
<dt>LLM calls</dt><dd>${h.llmAnswered} answered, ${h.llmCached} cache hits, ${h.llmFailed} failed, ${h.llmCapped} over the cap</dd>
<dt>Classifier</dt><dd>${h.versions.length ? h.versions.map((v) => `<code>${esc(v)}</code>`).join(", ") : "–"}</dd>
<dt>Last audit</dt><dd>${
    audit && audit.sample === 0
      ? `the audit of ${esc(audit.day)} had no labeled sample to measure`
      : audit
      ? `F1 ${audit.f1?.toFixed(2) ?? "–"} (precision ${audit.precision?.toFixed(2) ?? "–"}, recall ${
        audit.recall?.toFixed(2) ?? "–"
      }, ${audit.sample ?? "?"} messages) on ${esc(audit.day)}`
      : "none yet: <code>deno task audit</code> measures the deployed classifier"
  }</dd>
</dl>`);
  out.push(`</section>`);
  return out.join("\n");
}

/**
 * Renders the whole page.
 *
 * @param courses The courses' sections.
 * @param options The window and the build facts.
 * @returns The HTML document.
 */
export function renderPage(courses: readonly CoursePage[], options: PageOptions): string {
  const { window } = options;
  const weeks = courses[0]?.figures.weeks.length ?? 0;
  const empty = courses.every((c) => c.figures.weeks.every((w) => w.messages === 0 && w.questions === 0));
  const body: string[] = [];
  if (courses.length === 0 || empty) {
    body.push(`<section class="course" id="no-data"><h2>No data in this window</h2>${
      note(
        `The lake holds no messages and no labels from ${esc(window.since)} to ${esc(window.until)} for ${
          courses.length ? courses.map((c) => esc(c.figures.courseId)).join(", ") : "any course"
        }. Pick another window with <code>--since</code> and <code>--until</code>, or check that ingest and labeling ran.`,
        true,
      )
    }</section>`);
  } else {
    for (const c of courses) body.push(coursePage(c));
  }
  const nav = courses.length > 1 && !empty
    ? `<nav><ul>${
      courses.map((c) => `<li><a href="#course-${esc(c.figures.courseId)}">${esc(c.figures.courseId)}</a></li>`).join(
        "",
      )
    }</ul></nav>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Slack FAQ report, ${esc(window.since)} to ${esc(window.until)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Slack FAQ report</h1>
<p class="meta">${esc(window.since)} to ${esc(window.until)} (${weeks} week${
    weeks === 1 ? "" : "s"
  }, Monday to Sunday, UTC) · built ${esc(dayOfMicros(BigInt(options.generatedAt.getTime()) * 1000n))} ${
    esc(options.generatedAt.toISOString().slice(11, 16))
  } UTC</p>
${nav}
</header>
<main>
${body.join("\n")}
</main>
<footer>Built from the lake <code>${
    esc(options.lakeUrl)
  }</code>: gold labels, canonical groups (silver), the FAQ (reference) and bronze threads. Questions are the classifier's candidates; “answered” means a reply in the thread from someone other than the asker.</footer>
</body>
</html>
`;
}
