// The report's figures on a lake written by hand, the report task, and gold written before the FAQ columns.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import { LocalLake, MemoryLake } from "../../lib/lake.ts";
import { daysBetween, readClusters, readFaq, readGold, readThreads } from "../../lib/faq/drafts_input.ts";
import { courseFigures, median, reportWindow, slackLink, weekOf, weeksOf } from "../../lib/report/stats.ts";
import { buildReport, reportKeys } from "../../lib/report/report.ts";
import { esc } from "../../lib/report/html.ts";
import type { GoldRow } from "../../lib/classify/label.ts";
import { main } from "../../classify/report.ts";
import { assertThrows, capture, course } from "../_helpers.ts";
import { at, standardLake, WINDOW, writeOldGold } from "./_lake.ts";

Deno.test("reportWindow() defaults to eight whole weeks ending today", async (t) => {
  await t.step("weeks start on Monday", () => {
    assertEquals(weekOf("2024-02-25"), "2024-02-19");
    assertEquals(weekOf("2024-02-19"), "2024-02-19");
  });
  await t.step("the default window", () => {
    const w = reportWindow("2024-02-25");
    assertEquals(w, WINDOW);
    assertEquals(weeksOf(w).length, 8);
    assertEquals(weeksOf(reportWindow("2024-02-21")).length, 8, "a mid-week today still gives 8 weeks");
  });
  await t.step("flags win, and a reversed window is a clear error", () => {
    assertEquals(reportWindow("2024-02-25", "2024-01-10", "2024-01-20"), { since: "2024-01-10", until: "2024-01-20" });
    assertThrows(
      () => reportWindow("2024-02-25", "2024-03-01", "2024-02-01"),
      RangeError,
      "--since 2024-03-01 is after",
    );
  });
  await t.step("median()", () => {
    assertEquals(median([]), null);
    assertEquals(median([3, 1, 2]), 2);
    assertEquals(median([4, 1, 2, 3]), 2.5);
  });
  await t.step("slackLink() builds permalinks only from valid parts", () => {
    assertEquals(
      slackLink("dtc", "C01", "ml:1704099600.000100"),
      "https://dtc.slack.com/archives/C01/p1704099600000100",
    );
    assertEquals(slackLink(undefined, "C01", "ml:1.1"), undefined);
    assertEquals(slackLink("dtc", null, "ml:1.1"), undefined);
    assertEquals(slackLink("dtc", 'C01"><x', "ml:1.1"), undefined);
  });
  await t.step("esc() escapes every character that matters in HTML", () => {
    assertEquals(esc(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });
});

Deno.test("courseFigures() counts weeks, answers, reply times, coverage, groups and health", async () => {
  const lake = new MemoryLake();
  await standardLake(lake);
  const days = daysBetween(WINDOW.since, "2024-03-10");
  const f = courseFigures({
    courseId: "ml",
    channel: null,
    window: WINDOW,
    gold: await readGold(lake, "ml", days),
    messages: await readThreads(lake, "ml", days),
    clusters: await readClusters(lake, "ml"),
    faq: await readFaq(lake, "ml"),
    audit: undefined,
  });
  // Week w has (w % 3) + 2 questions; all but the last get a student reply 2 h later.
  const counts = [0, 1, 2, 3, 4, 5, 6, 7].map((w) => (w % 3) + 2);
  assertEquals(f.weeks.map((w) => w.questions), counts);
  assertEquals(f.weeks.map((w) => w.answered), counts.map((n) => n - 1));
  assertEquals(f.weeks.map((w) => w.medianReplyHours), counts.map(() => 2));
  // Every question, its replies and two chat lines count; the bot's join does not.
  const replies = (n: number, w: number) =>
    [...Array(n - 1).keys()].reduce((s, i) => s + ((w + i) % 3 === 0 ? 3 : 2), 0);
  assertEquals(f.weeks.map((w) => w.messages), counts.map((n, w) => n + 2 * n + replies(n, w) - n));
  assertEquals(f.weeks.reduce((s, w) => s + w.covered + w.uncovered, 0), 23);
  assertEquals(f.weeks.reduce((s, w) => s + w.covered, 0), 8);
  assertEquals(f.top.map((g) => [g.id, g.inWindow, g.size, g.faq?.id ?? null]), [
    ["g-docker", 8, 40, null],
    ["g-join", 8, 8, "aaaaaaaaa1"],
    ["g-hw", 7, 7, null],
  ]);
  assertEquals(f.gaps.map((c) => c.id), ["g-docker", "g-hw"]);
  assertEquals(
    [f.health.candidates, f.health.llmAnswered, f.health.llmCached, f.health.inBand, f.health.llmDecided],
    [23, 8, 8, 16, 16],
  );
});

Deno.test("the report reads gold written before the FAQ columns and groups existed", async () => {
  const lake = new MemoryLake();
  const base: Omit<GoldRow, "faq_matches" | "faq_match_id" | "faq_match_score" | "faq_status"> = {
    course_id: "old",
    message_id: "old:1704099600.000100",
    ts: BigInt(at("2024-01-01", 9)) * 1_000_000n + 100n,
    thread_ts: null,
    is_thread_head: true,
    text: "How do I install docker?",
    is_faq: true,
    score: 0.9,
    decision_source: "model",
    threshold_low: 0.45,
    threshold_high: 0.65,
    classifier_name: "t",
    classifier_version: "v1",
    llm_model: null,
    llm_confidence: null,
    llm_status: "not_needed",
    llm_reason: null,
    canonical_id: null,
    canonical_text: null,
    embedding_model: "m",
    embedding_version: "v",
    labeled_at: 0n,
    year: 2024,
    month: 1,
    day: 1,
  };
  await writeOldGold(lake, "old", "2024-01-01", [base]);
  const gold = await readGold(lake, "old", ["2024-01-01", "2024-01-02"]);
  assertEquals(gold.length, 1);
  assertEquals([gold[0]!.faq_status, gold[0]!.faq_match_id, gold[0]!.canonical_id], [null, null, null]);
  const { html, courses } = await buildReport(lake, { courses: [course("old")], window: WINDOW });
  assertEquals(courses[0]!.questions, 1);
  ok(html.includes("not grouped yet"));
  ok(html.includes("This course has no FAQ in the lake"));
});

Deno.test("deno task report writes the page, publishes it into the lake, and checks its flags", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "report-task-" });
  const lakeDir = path.join(dir, "lake");
  await standardLake(new LocalLake(lakeDir));
  const config = path.join(dir, "courses.yml");
  await Deno.writeTextFile(config, "courses:\n  - id: ml\n    channel_id: C0288NJ5XSA\n  - id: nofaq\n");
  const out = path.join(dir, "page.html");
  const common = ["--lake", lakeDir, "--config", config];
  try {
    await t.step("--out and --publish", async () => {
      const r = await capture(() =>
        main([...common, "--since", WINDOW.since, "--until", WINDOW.until, "--out", out, "--publish"])
      );
      assertEquals(r.code, 0, r.err);
      const html = await Deno.readTextFile(out);
      ok(html.startsWith("<!doctype html>"));
      ok(!/<script|<link |@import|url\((?!#)|src=/i.test(html), "nothing that could load");
      const today = new Date().toISOString().slice(0, 10);
      for (const key of reportKeys(today)) assertEquals(await Deno.readTextFile(path.join(lakeDir, key)), html);
      ok(r.out.includes("ml: 81 messages, 23 questions"), r.out);
      ok(html.includes("F1 0.85 (precision 0.83, recall 0.86, 120 messages) on 2024-02-01"), "the newest audit");
    });
    await t.step("--course picks courses; json summary", async () => {
      const r = await capture(() =>
        main([...common, "--course", "nofaq", "--since", WINDOW.since, "--out", out, "--log-format", "json"])
      );
      assertEquals(r.code, 0, r.err);
      const summary = JSON.parse(r.out.trim().split("\n").at(-1)!);
      assertEquals(summary.courses.map((c: { courseId: string }) => c.courseId), ["nofaq"]);
      assertEquals(summary.published, []);
    });
    await t.step("a window with no data still writes a page that says so", async () => {
      const r = await capture(() => main([...common, "--since", "2020-01-06", "--until", "2020-02-02", "--out", out]));
      assertEquals(r.code, 0, r.err);
      ok((await Deno.readTextFile(out)).includes("No data in this window"));
    });
    await t.step("bad flags exit 2 with a clear message", async () => {
      const cases: [string[], string][] = [
        [["--since", "2024-13-01"], '--since "2024-13-01" is not a date'],
        [["--since", "2024-03-01", "--until", "2024-02-01"], "--since 2024-03-01 is after --until 2024-02-01"],
        [["--course", "nope"], 'Course "nope" is not in'],
        [["--out", ""], "must name a file"],
      ];
      for (const [args, message] of cases) {
        const r = await capture(() => main([...common, ...args]));
        assertEquals(r.code, 2, args.join(" "));
        ok(r.err.includes(message), r.err);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
