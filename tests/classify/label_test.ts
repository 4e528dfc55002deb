import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, course, dec, enc, fixture, readBronze, seedRaw, snapshot, startFakeLlm } from "../_helpers.ts";
import { main as labelBatchMain } from "../../classify/label_batch.ts";
import { main as labelDailyMain } from "../../classify/label_daily.ts";
import { main as evalMain } from "../../classify/eval.ts";
import { main as trainMain } from "../../classify/train.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { parseHead } from "../../lib/classify/head.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { GOLD_COLUMNS, type GoldRow, label, type LabelOptions } from "../../lib/classify/label.ts";
import { type Lake, LocalLake, MemoryLake } from "../../lib/lake.ts";
import { coursePrefix } from "../../lib/layout.ts";
import { LlmJudge } from "../../lib/classify/llm.ts";
import { BRONZE_COLUMNS, readParquetRows } from "../../lib/parquet.ts";
import { makePrefilter } from "../../lib/classify/prefilter.ts";
import { importExport, openExport } from "../../lib/slack/export.ts";

const TINY = fixture("models/tiny");
const COURSES = [course("ml-zoomcamp"), course("de-zoomcamp")];
const embedder = await loadEmbedder(TINY);
const head = parseHead(await Deno.readTextFile(`${TINY}/head.json`), "head.json");

async function readGold(lake: Lake, courseId: string): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

async function bronzeLake(): Promise<MemoryLake> {
  const lake = new MemoryLake();
  await seedRaw(lake);
  for (const name of ["export-a", "export-b"]) {
    await importExport(await openExport(fixture("export", name)), lake, {
      channel: "course-ml-zoomcamp",
      rawPrefix: "raw/slack/ml-zoomcamp",
    });
  }
  await ingest(lake, { courses: COURSES });
  return lake;
}

function options(extra: Partial<LabelOptions> = {}): LabelOptions {
  return { courses: COURSES, embedder, head, prefilter: makePrefilter(), mode: "batch", ...extra };
}

Deno.test("label() writes one gold row per candidate, with every LabelRecord field", async (t) => {
  const lake = await bronzeLake();
  const summary = await label(lake, options());
  const gold = await readGold(lake, "ml-zoomcamp");
  const bronze = await readBronze(lake, "ml-zoomcamp");
  const byId = new Map(bronze.map((r) => [r.message_id, r]));

  await t.step("every field of the seed's LabelRecord is there", () => {
    const fields = [
      "course_id",
      "message_id",
      "ts",
      "thread_ts",
      "is_thread_head",
      "text",
      "is_faq",
      "score",
      "decision_source",
      "threshold_low",
      "threshold_high",
      "classifier_name",
      "classifier_version",
      "llm_model",
      "llm_confidence",
      "canonical_id",
      "canonical_text",
      "embedding_model",
      "embedding_version",
      "year",
      "month",
      "day",
    ];
    for (const f of fields) ok(f in gold[0]!, f);
    assertEquals(gold[0]!.classifier_version, head.version);
    assertEquals(gold[0]!.embedding_model, "synthetic/tiny");
    assertEquals([gold[0]!.threshold_low, gold[0]!.threshold_high], [0.45, 0.65]);
  });
  await t.step("message_id is unique and joins back to bronze", () => {
    assertEquals(new Set(gold.map((g) => g.message_id)).size, gold.length);
    for (const g of gold) {
      const b = byId.get(g.message_id);
      ok(b, g.message_id);
      assertEquals([g.ts, g.year, g.month, g.day], [b!.ts, b!.year, b!.month, b!.day]);
    }
  });
  await t.step("no rows for replies, joins, bots or tombstones", () => {
    for (const g of gold) {
      const b = byId.get(g.message_id)!;
      ok(
        b.is_thread_head && !b.bot_id && !b.deleted && (b.subtype === null || b.subtype === "file_share"),
        g.message_id,
      );
    }
  });
  await t.step("the questions are the candidates, the chatter is not", () => {
    const texts = gold.map((g) => g.text);
    for (
      const q of [
        "Is the deadline for homework 2 extended? @here",
        "I get this error when running docker compose :sob:",
        "What is the passing score for the midterm?",
        "Docker compose fails with exit code 137",
      ]
    ) ok(texts.includes(q), q);
    for (const c of ["Great lecture today!", "Posted after midnight UTC"]) ok(!texts.includes(c), c);
  });
  await t.step("scores lie in [0,1] and the model decides without an LLM", async () => {
    for (const g of gold) {
      ok(g.score >= 0 && g.score <= 1);
      assertEquals(g.decision_source, "model");
      assertEquals(g.is_faq, g.score >= 0.5);
      assertEquals(g.llm_status, g.score >= 0.45 && g.score <= 0.65 ? "disabled" : "not_needed");
    }
    assertEquals(
      summary.courses.reduce((n, c) => n + c.candidates, 0),
      gold.length + (await readGold(lake, "de-zoomcamp")).length,
    );
  });
  await t.step("a second run skips everything and leaves gold identical", async () => {
    const before = await snapshot(lake, "gold/");
    const again = await label(lake, options());
    assertEquals(again.courses.map((c) => c.labeled), [0, 0]);
    assertEquals(await snapshot(lake, "gold/"), before);
  });
  await t.step("--force relabels to the same rows", async () => {
    const forced = await label(lake, options({ force: true }));
    ok(forced.courses[0]!.labeled > 0);
    const strip = (rows: GoldRow[]) => rows.map(({ labeled_at: _, ...r }) => r);
    assertEquals(strip(await readGold(lake, "ml-zoomcamp")), strip(gold));
  });
});

Deno.test("label() in daily mode labels what ingest changed, late replies included", async () => {
  const lake = await bronzeLake();
  const first = await label(lake, options({ mode: "daily" }));
  assertEquals(first.courses[0]!.labeled, 6); // every partition is new to it
  assertEquals((await label(lake, options({ mode: "daily" }))).courses[0]!.partitions, 0);

  // A new day arrives, with a late message for an older day in it.
  await lake.write(
    "raw/slack/ml-zoomcamp/year=2024/month=02/day=05/2024-02-05.json",
    enc(JSON.stringify([
      { type: "message", ts: "1707130000.000001", user: "U1", text: "How do I reset my password?" },
      { type: "message", ts: "1706790500.000009", user: "U2", text: "Late question: can I still submit homework 3?" },
    ])),
  );
  await ingest(lake, { courses: COURSES });
  const daily = await label(lake, options({ mode: "daily" }));
  assertEquals(daily.courses[0]!.labeled, 2);
  const gold = await readGold(lake, "ml-zoomcamp");
  ok(gold.some((g) => g.text === "Late question: can I still submit homework 3?" && g.day === 1));
  ok(gold.some((g) => g.text === "How do I reset my password?" && g.day === 5));
});

Deno.test("label() asks the LLM inside the band only, and a rerun costs no call", async (t) => {
  const lake = await bronzeLake();
  const llm = startFakeLlm(() => ({
    status: 200,
    content: '{"is_faq": false, "confidence": 0.9, "reason": "social"}',
  }));
  try {
    const band = { low: 0.3, high: 0.7 };
    const run = (force: boolean) =>
      label(
        lake,
        options({ band, force, llm: new LlmJudge({ apiKey: "k", model: "fake", baseURL: llm.baseURL, cache: lake }) }),
      );
    const s = await run(false);
    const gold = [...await readGold(lake, "ml-zoomcamp"), ...await readGold(lake, "de-zoomcamp")];
    await t.step("band items are decided by the LLM, the others by the model", () => {
      for (const g of gold) {
        const inBand = g.score >= band.low && g.score <= band.high;
        assertEquals(g.decision_source, inBand ? "llm" : "model", `${g.score}`);
        if (inBand) {
          assertEquals([g.is_faq, g.llm_model, g.llm_confidence, g.llm_status], [false, "fake", 0.9, "answered"]);
        } else assertEquals([g.llm_model, g.llm_status], [null, "not_needed"]);
      }
      ok(s.llmCalls > 0);
      assertEquals(s.llmCalls, gold.filter((g) => g.decision_source === "llm").length);
      assertEquals(llm.requests, s.llmCalls);
    });
    await t.step("a forced rerun with the same band is served from the cache", async () => {
      const again = await run(true);
      assertEquals([again.llmCalls, again.llmCacheHits], [0, s.llmCalls]);
      assertEquals(llm.requests, s.llmCalls);
    });
  } finally {
    await llm.close();
  }
  await t.step("when the LLM fails, the model's decision stands and the row says so", async () => {
    const down = startFakeLlm(() => ({ status: 500 }));
    try {
      const judge = new LlmJudge({ apiKey: "k", model: "down", baseURL: down.baseURL, maxRetries: 0 });
      const s = await label(lake, options({ band: { low: 0, high: 1 }, force: true, llm: judge }));
      const gold = await readGold(lake, "ml-zoomcamp");
      ok(s.llmFailed > 0);
      for (const g of gold) {
        assertEquals([g.decision_source, g.llm_status, g.is_faq], ["model", "failed", g.score >= 0.5]);
      }
    } finally {
      await down.close();
    }
  });
});

Deno.test("label:batch, label:daily, train and eval from the command line", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lake-label-" });
  // The test decides the LLM environment, whatever the shell running it has set.
  const llmVars = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL"];
  const restore = llmVars.map((k) => [k, Deno.env.get(k)] as const);
  for (const k of llmVars) Deno.env.delete(k);
  try {
    const lake = new LocalLake(dir);
    await seedRaw(lake);
    await ingest(lake, { courses: COURSES });
    const common = ["--lake", dir, "--config", fixture("../courses.yml"), "--model", TINY];
    await t.step("label:batch labels and exits 0, with a notice that the LLM is off", async () => {
      const r = await capture(() => labelBatchMain(common));
      assertEquals(r.code, 0, r.err);
      ok(r.err.includes("LLM fallback is off (no OPENAI_API_KEY)"));
      ok(/ml-zoomcamp\s+3\s+3\s+0/.test(r.out), r.out);
      const rows = await readGold(lake, "ml-zoomcamp");
      ok(rows.length > 0);
    });
    await t.step("label:daily after it finds nothing new", async () => {
      const first = await capture(() => labelDailyMain([...common, "--log-format", "json"]));
      assertEquals(first.code, 0, first.err);
      const s = JSON.parse(first.out.trim().split("\n").pop()!);
      assertEquals(s.courses[0].labeled, 0); // up to date from label:batch
      assertEquals(s.courses[0].skipped, 3);
    });
    await t.step("wrong flags exit 2 with the reason", async () => {
      const cases: [string[], string][] = [
        [[...common, "--device", "gpu"], '--device "gpu" is not known'],
        [[...common, "--low", "0.9", "--high", "0.1"], "the band [0.9, 0.1] must satisfy"],
        [[...common, "--date", "2024-01-01"], "--date is for label:daily"],
        [
          ["--lake", dir, "--config", fixture("../courses.yml"), "--model", "/nonexistent"],
          'is missing: run "deno task model:pull"',
        ],
        [[...common, "--head", fixture("labels/train.jsonl")], "is not JSON"],
      ];
      for (const [args, message] of cases) {
        const r = await capture(() => labelBatchMain(args));
        assertEquals(r.code, 2, r.err);
        ok(r.err.includes(message), r.err);
      }
    });
    await t.step("train writes a head that label:batch accepts; a head for another model is refused", async () => {
      const headFile = `${dir}/head.json`;
      const r = await capture(() =>
        trainMain(["--labels", fixture("labels/train.jsonl"), "--model", TINY, "--out", headFile])
      );
      assertEquals(r.code, 0, r.err);
      const trained = JSON.parse(await Deno.readTextFile(headFile));
      assertEquals([trained.embedding_model, trained.embedding_dims, trained.metrics.examples], [
        "synthetic/tiny",
        64,
        90,
      ]);
      const ok2 = await capture(() => labelBatchMain([...common, "--head", headFile]));
      assertEquals(ok2.code, 0, ok2.err);
      await Deno.writeTextFile(
        headFile,
        JSON.stringify({ ...trained, embedding_model: "sentence-transformers/all-MiniLM-L6-v2" }),
      );
      const bad = await capture(() => labelBatchMain([...common, "--head", headFile]));
      assertEquals(bad.code, 2);
      ok(bad.err.includes("The head was trained on sentence-transformers/all-MiniLM-L6-v2"), bad.err);
    });
    await t.step("eval prints metrics per decision source and a band", async () => {
      const r = await capture(() =>
        evalMain(["--labels", fixture("labels/eval.jsonl"), "--model", TINY, "--log-format", "json"])
      );
      assertEquals(r.code, 0, r.err);
      const e = JSON.parse(r.out);
      assertEquals(e.examples, 30);
      assertEquals(e.overall.tp + e.overall.fp + e.overall.tn + e.overall.fn, 30);
      ok(e.suggestedBand.low <= 0.5 && e.suggestedBand.high >= 0.5);
    });
  } finally {
    for (const [k, v] of restore) if (v !== undefined) Deno.env.set(k, v);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gold reads back with bronze's join key on every row", async () => {
  const lake = await bronzeLake();
  await label(lake, options());
  const ids = new Set<string>();
  for await (const e of lake.list(coursePrefix("bronze", "ml-zoomcamp"))) {
    for (const r of readParquetRows<{ message_id: string }>(BRONZE_COLUMNS, await lake.read(e.key))) {
      ids.add(r.message_id);
    }
  }
  for (const g of await readGold(lake, "ml-zoomcamp")) ok(ids.has(g.message_id));
  assertEquals(dec(enc("x")), "x");
});
