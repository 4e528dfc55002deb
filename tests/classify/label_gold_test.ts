import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, course, enc, fixture, startFakeLlm, startS3 } from "../_helpers.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { parseHead } from "../../lib/classify/head.ts";
import { GOLD_COLUMNS, type GoldRow, label, type LabelOptions } from "../../lib/classify/label.ts";
import { LlmJudge } from "../../lib/classify/llm.ts";
import { makePrefilter } from "../../lib/classify/prefilter.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { type Lake, MemoryLake } from "../../lib/lake.ts";
import { acquireLease, LeaseHeldError } from "../../lib/lease.ts";
import { coursePrefix, type Day, parsePartitionKey, partitionKey, rawDayKey } from "../../lib/layout.ts";
import { readParquetRows } from "../../lib/parquet.ts";

const TINY = fixture("models/tiny");
const ML = course("ml");
const embedder = await loadEmbedder(TINY);
const head = parseHead(await Deno.readTextFile(`${TINY}/head.json`), "head.json");

function options(extra: Partial<LabelOptions> = {}): LabelOptions {
  return { courses: [ML], embedder, head, prefilter: makePrefilter(), mode: "daily", ...extra };
}

async function goldDays(lake: Lake): Promise<Day[]> {
  const out: Day[] = [];
  for await (const e of lake.list(coursePrefix("gold", "ml"))) out.push(parsePartitionKey(e.key)!.day);
  return out.sort();
}

async function seed(lake: Lake): Promise<void> {
  await lake.write(
    rawDayKey("raw/slack/ml", "2024-01-15"),
    enc(JSON.stringify([{ type: "message", user: "U1", ts: "1705312800.000100", text: "How do I install docker?" }])),
  );
  await lake.write(
    rawDayKey("raw/slack/ml", "2024-01-16"),
    enc(
      JSON.stringify([{ type: "message", user: "U1", ts: "1705399200.000100", text: "Where is the homework form?" }]),
    ),
  );
  await ingest(lake, { courses: [ML] });
}

for (const mode of ["daily", "batch"] as const) {
  Deno.test(`label(${mode}) removes the gold of a partition whose candidates all disappear`, async () => {
    const lake = new MemoryLake();
    await seed(lake);
    await label(lake, options({ mode }));
    assertEquals(await goldDays(lake), ["2024-01-15", "2024-01-16"]);
    // The question of the 15th is deleted: a tombstone replaces it.
    await lake.write(
      rawDayKey("raw/slack/ml", "2024-01-15"),
      enc(JSON.stringify([{
        type: "message",
        user: "U1",
        ts: "1705312800.000100",
        subtype: "tombstone",
        text: "This message was deleted.",
      }])),
    );
    await ingest(lake, { courses: [ML] });
    await label(lake, options({ mode }));
    assertEquals(await goldDays(lake), ["2024-01-16"]);
  });
}

Deno.test("label:batch removes orphan gold when its bronze partition is gone", async () => {
  const lake = new MemoryLake();
  await seed(lake);
  await label(lake, options({ mode: "batch" }));
  await lake.delete(partitionKey("bronze", "ml", "2024-01-15"));
  const s = await label(lake, options({ mode: "batch" }));
  assertEquals(s.courses[0]!.orphansRemoved, 1);
  assertEquals(await goldDays(lake), ["2024-01-16"]);
  // Outside the window, nothing is touched.
  await lake.delete(partitionKey("bronze", "ml", "2024-01-16"));
  const windowed = await label(lake, options({ mode: "batch", since: "2024-02-01" }));
  assertEquals(windowed.courses[0]!.orphansRemoved, 0);
  assertEquals(await goldDays(lake), ["2024-01-16"]);
});

Deno.test("label() refuses a course another label run holds", async () => {
  const lake = new MemoryLake();
  await seed(lake);
  const held = await acquireLease(lake, {
    task: "label",
    courseId: "ml",
    holder: { host: "other", pid: 7, started_at: "2024-01-01T00:00:00.000Z" },
  });
  try {
    await assertRejects(() => label(lake, options({ mode: "batch" })), LeaseHeldError, 'Course "ml" is busy');
    assertEquals(await goldDays(lake), []);
  } finally {
    await held.release();
  }
  await label(lake, options({ mode: "batch" }));
  assertEquals(await goldDays(lake), ["2024-01-15", "2024-01-16"]);
});

Deno.test("label:daily and the LLM cache run against s3rver", async (t) => {
  const s3 = await startS3();
  const llm = startFakeLlm(() => ({ status: 200, content: '{"is_faq": true, "confidence": 0.8, "reason": "faq"}' }));
  try {
    const lake = s3.lake("label");
    await seed(lake);
    const band = { low: 0, high: 1 }; // every candidate goes to the LLM
    const judge = () => new LlmJudge({ apiKey: "k", model: "fake", baseURL: llm.baseURL, cache: lake });
    const first = await label(lake, options({ band, llm: judge() }));
    await t.step("gold is written to S3, decided by the LLM", async () => {
      assertEquals(await goldDays(lake), ["2024-01-15", "2024-01-16"]);
      const rows = readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(partitionKey("gold", "ml", "2024-01-15")));
      assertEquals(rows.map((r) => [r.decision_source, r.llm_status, r.is_faq]), [["llm", "answered", true]]);
      assertEquals(first.llmCalls, 2);
    });
    await t.step("the journal on S3 is consumed", async () => {
      const left: string[] = [];
      for await (const e of lake.list("_state/ingest/changes/ml/")) left.push(e.key);
      assertEquals(left, []);
    });
    await t.step("a forced rerun is answered from the cache kept on S3", async () => {
      const again = await label(lake, options({ mode: "batch", band, force: true, llm: judge() }));
      assertEquals([again.llmCalls, again.llmCacheHits], [0, 2]);
      assertEquals(llm.requests, 2);
      let cached = 0;
      for await (const e of lake.list("")) if (e.key.includes("llm")) cached++;
      ok(cached >= 2, `${cached} cache objects`);
    });
  } finally {
    await llm.close();
    await s3.close();
  }
});
