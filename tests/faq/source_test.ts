import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import { assertRejects, capture, fixture, snapshot } from "../_helpers.ts";
import { markdownToPlain, readFaqSource } from "../../lib/faq/source.ts";
import { importFaq } from "../../lib/faq/import.ts";
import { readFaq } from "../../lib/faq/store.ts";
import { LocalLake, MemoryLake } from "../../lib/lake.ts";
import { faqKey } from "../../lib/layout.ts";
import { main as faqImportMain } from "../../classify/faq_import.ts";

const QUESTIONS = fixture("faq", "_questions");

Deno.test("readFaqSource() reads the _questions layout, one course folder and JSON Lines", async (t) => {
  await t.step("a _questions folder with --from-course picks that course's folder", async () => {
    const { entries, problems } = await readFaqSource(QUESTIONS, { fromCourse: "ml-zoomcamp" });
    assertEquals(problems, []);
    assertEquals(entries.map((e) => e.id), [
      "a1b2c3d4e5",
      "b2c3d4e5f6",
      "c3d4e5f6a7",
      "d4e5f6a7b8",
      "e5f6a7b8c9",
      "f6a7b8c9d0",
    ]);
    const sklearn = entries.find((e) => e.id === "d4e5f6a7b8")!;
    assertEquals(sklearn.section, "module-5");
    assertEquals(sklearn.question, "ModuleNotFoundError: No module named 'sklearn'");
    assertEquals(sklearn.source_path, "ml-zoomcamp/module-5/001_d4e5f6a7b8_no-module-sklearn.md");
    ok(sklearn.answer_plain.includes("pip install scikit-learn"));
    ok(!sklearn.answer_plain.includes("```"));
    ok(/^[0-9a-f]{64}$/.test(sklearn.sha256));
    const docker = entries.find((e) => e.id === "e5f6a7b8c9")!;
    ok(!docker.answer_plain.includes("IMAGE"), docker.answer_plain);
  });
  await t.step("one course folder needs no --from-course", async () => {
    const { entries } = await readFaqSource(path.join(QUESTIONS, "de-zoomcamp"));
    assertEquals(entries.map((e) => e.id), ["0a1b2c3d4e", "1b2c3d4e5f"]);
  });
  await t.step("a course missing from a _questions folder is named with the ones there", async () => {
    await assertRejects(
      () => readFaqSource(QUESTIONS, { fromCourse: "llm-zoomcamp" }),
      TypeError,
      'has no course folder "llm-zoomcamp": pass --from-course with one of de-zoomcamp, ml-zoomcamp',
    );
  });
  await t.step("a missing source says what to pass", async () => {
    await assertRejects(() => readFaqSource("/nonexistent/faq"), TypeError, "does not exist: pass a _questions folder");
  });
  await t.step("markdown becomes plain text", () => {
    assertEquals(
      markdownToPlain("## Fix\n**Run** `pip install x` see [docs](https://x.y)"),
      "Fix\nRun pip install x see docs",
    );
  });
});

Deno.test("readFaqSource() reports every bad entry with its file and reason, and keeps the rest", async (t) => {
  await t.step("Markdown: no front matter, no id, a duplicate id, an empty question, broken YAML", async () => {
    const { entries, problems } = await readFaqSource(fixture("faq", "bad", "ml-zoomcamp"));
    // A quoted id keeps its leading zero; an unquoted one stays the string that was written.
    assertEquals(entries.map((e) => [e.id, e.question]), [
      ["0123456789", "How do I sign up?"],
      ["4444444444", "Is the course free?"],
    ]);
    const byFile = Object.fromEntries(problems.map((p) => [path.basename(p.file), p.reason]));
    ok(byFile["002_no-front-matter.md"]!.startsWith("No front matter"));
    ok(byFile["003_no-id.md"]!.startsWith('Front matter has no "id"'));
    assertEquals(
      byFile["004_dup.md"],
      "Duplicate id 0123456789: ml-zoomcamp/general/001_1111111111_good.md has it already",
    );
    assertEquals(byFile["005_empty-question.md"], "Entry 2222222222 has an empty question");
    ok(byFile["006_broken-yaml.md"]!.startsWith("Front matter is not valid YAML"));
    assertEquals(problems.length, 5);
  });
  await t.step("JSON Lines: bad JSON, no id, a duplicate id, an empty question", async () => {
    const { entries, problems } = await readFaqSource(fixture("faq", "bad", "faq.jsonl"));
    assertEquals(entries.map((e) => e.id), ["j1", "5"]);
    assertEquals(entries[0]!.answer_plain, "Use the form.");
    assertEquals(problems.map((p) => p.file), ["faq.jsonl:2", "faq.jsonl:3", "faq.jsonl:4", "faq.jsonl:5"]);
    ok(problems[1]!.reason.startsWith("Line is not valid JSON"));
  });
});

Deno.test("importFaq() replaces the table whole, and a rerun with an unchanged source writes nothing", async (t) => {
  const lake = new MemoryLake();
  const first = await importFaq(lake, "ml-zoomcamp", QUESTIONS);
  assertEquals([first.written, first.entries, first.changed], [true, 6, 6]);
  const before = await snapshot(lake);
  await t.step("rerun", async () => {
    const again = await importFaq(lake, "ml-zoomcamp", QUESTIONS);
    assertEquals([again.written, again.changed, again.removed], [false, 0, 0]);
    assertEquals(await snapshot(lake), before);
  });
  await t.step("a changed source replaces the table", async () => {
    const dir = await Deno.makeTempDir({ prefix: "faq-src-" });
    try {
      await Deno.writeTextFile(
        path.join(dir, "faq.jsonl"),
        JSON.stringify({ id: "a1b2c3d4e5", question: "How do I submit my homework?", answer: "New answer." }) + "\n",
      );
      const r = await importFaq(lake, "ml-zoomcamp", path.join(dir, "faq.jsonl"));
      assertEquals([r.written, r.entries, r.changed, r.removed], [true, 1, 1, 5]);
      assertEquals((await readFaq(lake, "ml-zoomcamp"))!.map((e) => e.answer_plain), ["New answer."]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("a course with no FAQ reads as undefined", async () => {
    assertEquals(await readFaq(lake, "de-zoomcamp"), undefined);
  });
});

Deno.test("faq:import from the command line: problems on stderr, exit 1, the rest lands", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faq-cli-" });
  try {
    const config = path.join(dir, "courses.yml");
    await Deno.writeTextFile(
      config,
      `courses:\n  - id: ml-zoomcamp\n    faq:\n      source: ${QUESTIONS}\n  - id: de-zoomcamp\n`,
    );
    const bad = await capture(() =>
      faqImportMain([
        fixture("faq", "bad", "ml-zoomcamp"),
        "--course",
        "ml-zoomcamp",
        "--lake",
        dir,
        "--config",
        config,
      ])
    );
    assertEquals(bad.code, 1);
    ok(bad.err.includes("ml-zoomcamp/general/003_no-id.md: Front matter has no"), bad.err);
    assertEquals((await readFaq(new LocalLake(dir), "ml-zoomcamp"))!.length, 2);

    const usage = await capture(() => faqImportMain([QUESTIONS, "--lake", dir, "--config", config]));
    assertEquals(usage.code, 2);
    ok(usage.err.includes("needs exactly one --course ID"), usage.err);

    // Without SOURCE: the courses.yml faq source, as the daily job runs it.
    const daily = await capture(() => faqImportMain(["--lake", dir, "--config", config, "--log-format", "json"]));
    assertEquals(daily.code, 0, daily.err);
    const summary = JSON.parse(daily.out.trim().split("\n").pop()!);
    assertEquals([summary.courseId, summary.entries, summary.written], ["ml-zoomcamp", 6, true]);
    ok((await new LocalLake(dir).stat(faqKey("ml-zoomcamp"))) !== undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
