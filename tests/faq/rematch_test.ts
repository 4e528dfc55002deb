import { deepEqual as assertEquals, notDeepEqual, ok } from "node:assert/strict";
import * as path from "node:path";
import { capture, course, fixture, seedRaw } from "../_helpers.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { parseHead } from "../../lib/classify/head.ts";
import { GOLD_COLUMNS, type GoldRow, label } from "../../lib/classify/label.ts";
import { makePrefilter } from "../../lib/classify/prefilter.ts";
import { importFaq } from "../../lib/faq/import.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { type Lake, LocalLake } from "../../lib/lake.ts";
import { coursePrefix } from "../../lib/layout.ts";
import { readParquetRows } from "../../lib/parquet.ts";
import { main as faqMatchMain } from "../../classify/faq_match.ts";

const TINY = fixture("models/tiny");
const COURSES = [course("ml-zoomcamp"), course("de-zoomcamp")];
const MATCH_COLUMNS = ["faq_matches", "faq_match_id", "faq_match_score", "faq_status"];

async function readGold(lake: Lake, courseId: string): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows.sort((a, b) => (a.message_id < b.message_id ? -1 : 1));
}

function without(row: GoldRow, columns: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !columns.includes(k)));
}

Deno.test("faq:match after a new FAQ version changes only the match columns", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faq-match-" });
  const embedder = await loadEmbedder(TINY);
  try {
    const lake = new LocalLake(dir);
    await seedRaw(lake);
    await ingest(lake, { courses: COURSES });
    await importFaq(lake, "ml-zoomcamp", fixture("faq", "_questions"));
    const head = parseHead(await Deno.readTextFile(`${TINY}/head.json`), "head.json");
    await label(lake, { courses: COURSES, embedder, head, prefilter: makePrefilter(), mode: "batch" });
    const before = await readGold(lake, "ml-zoomcamp");
    ok(before.some((g) => g.faq_status === "covered"));

    // A new FAQ version: only the Postgres entry, which answers none of the ml questions but one.
    const src = path.join(dir, "faq-v2.jsonl");
    await Deno.writeTextFile(
      src,
      JSON.stringify({ id: "new1", question: "Is the deadline for homework extended?", answer: "No." }) + "\n",
    );
    await importFaq(lake, "ml-zoomcamp", src);
    const config = path.join(dir, "courses.yml");
    await Deno.writeTextFile(config, "courses:\n  - id: ml-zoomcamp\n  - id: de-zoomcamp\n");
    const r = await capture(() => faqMatchMain(["--lake", dir, "--config", config, "--course", "ml-zoomcamp"]));
    assertEquals(r.code, 0, r.err);
    ok(r.out.includes("ml-zoomcamp"), r.out);

    const after = await readGold(lake, "ml-zoomcamp");
    assertEquals(after.map((g) => without(g, MATCH_COLUMNS)), before.map((g) => without(g, MATCH_COLUMNS)));
    notDeepEqual(after.map((g) => g.faq_match_id), before.map((g) => g.faq_match_id));
    ok(after.every((g) => g.faq_match_id === null || g.faq_match_id === "new1"));
    const deadline = after.find((g) => (g.text ?? "").startsWith("Is the deadline for homework 2 extended"))!;
    assertEquals([deadline.faq_match_id, deadline.faq_status], ["new1", "covered"]);

    // Unchanged FAQ: a second run rewrites nothing.
    const again = await capture(() =>
      faqMatchMain(["--lake", dir, "--config", config, "--course", "ml-zoomcamp", "--log-format", "json"])
    );
    assertEquals(JSON.parse(again.out).courses[0].rewritten, 0);
  } finally {
    await embedder.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("label:daily re-imports the courses.yml FAQ source and re-matches earlier gold when it changed", async () => {
  const { main: labelDailyMain } = await import("../../classify/label_daily.ts");
  const dir = await Deno.makeTempDir({ prefix: "faq-daily-" });
  try {
    const lake = new LocalLake(dir);
    await seedRaw(lake);
    await ingest(lake, { courses: COURSES });
    const src = path.join(dir, "faq.jsonl");
    const write = (question: string) =>
      Deno.writeTextFile(src, JSON.stringify({ id: "x1", question, answer: "See the course page." }) + "\n");
    await write("How do I reset my password?");
    const config = path.join(dir, "courses.yml");
    await Deno.writeTextFile(config, "courses:\n  - id: ml-zoomcamp\n    faq:\n      source: faq.jsonl\n");
    const args = ["--lake", dir, "--config", config, "--model", TINY, "--log-format", "json"];
    const first = await capture(() => labelDailyMain(args));
    assertEquals(first.code, 0, first.err);
    ok(first.out.includes('"event":"faq"'), first.out);
    const gold = await readGold(lake, "ml-zoomcamp");
    ok(gold.length > 0 && gold.every((g) => g.faq_status !== null));

    const same = await capture(() => labelDailyMain(args));
    ok(!same.out.includes('"event":"faq"'), same.out); // unchanged source: nothing re-imported

    await write("Is the deadline for homework 2 extended?");
    const changed = await capture(() => labelDailyMain(args));
    ok(changed.out.includes('"event":"faq"'), changed.out);
    const deadline = (await readGold(lake, "ml-zoomcamp")).find((g) => (g.text ?? "").startsWith("Is the deadline"))!;
    assertEquals([deadline.faq_match_id, deadline.faq_status], ["x1", "covered"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
