// The audit on awkward windows: only true negatives, an LLM that always fails, nothing in the window.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, course, startFakeLlm } from "../_helpers.ts";
import { main as auditMain } from "../../classify/audit.ts";
import { audit, auditKey, type AuditReport, belowFloor } from "../../lib/classify/audit.ts";
import { GOLD_COLUMNS, type GoldRow } from "../../lib/classify/label.ts";
import { LlmJudge } from "../../lib/classify/llm.ts";
import { type Lake, LocalLake, MemoryLake } from "../../lib/lake.ts";
import { parseDay, partitionKey } from "../../lib/layout.ts";
import { writeParquet } from "../../lib/parquet.ts";

function gold(i: number, isFaq: boolean, score: number): GoldRow {
  return {
    course_id: "ml-zoomcamp",
    message_id: `ml-zoomcamp:${1731000000 + i}.000100`,
    ts: BigInt(1731000000 + i) * 1_000_000n,
    thread_ts: null,
    is_thread_head: true,
    text: `question number ${i}?`,
    is_faq: isFaq,
    score,
    decision_source: "model",
    threshold_low: 0.45,
    threshold_high: 0.65,
    classifier_name: "head",
    classifier_version: "v1",
    llm_model: null,
    llm_confidence: null,
    llm_status: "not_needed",
    llm_reason: null,
    canonical_id: null,
    canonical_text: null,
    faq_matches: [],
    faq_match_id: null,
    faq_match_score: null,
    faq_status: null,
    embedding_model: "m",
    embedding_version: "1",
    labeled_at: 0n,
    year: 2024,
    month: 11,
    day: 20,
  };
}

async function goldLake(lake: Lake, rows: GoldRow[]): Promise<Lake> {
  await lake.write(partitionKey("gold", "ml-zoomcamp", parseDay("2024-11-20")), writeParquet(GOLD_COLUMNS, rows));
  return lake;
}

const COURSES = [course("ml-zoomcamp")];
const NEGATIVES = Array.from({ length: 8 }, (_, i) => gold(i, false, 0.05 + i * 0.01));

Deno.test("audit() of a course with true negatives only reports no F1, not 0 or NaN, and raises no alert", async () => {
  const llm = startFakeLlm(() => ({ status: 200, content: '{"is_faq": false, "confidence": 0.9, "reason": "chat"}' }));
  try {
    const lake = await goldLake(new MemoryLake(), NEGATIVES);
    const judge = new LlmJudge({ apiKey: "k", model: "m", baseURL: llm.baseURL });
    const report = await audit(lake, { courses: COURSES, until: parseDay("2024-11-24"), days: 30, llm: judge });
    const c = report.courses["ml-zoomcamp"]!;
    assertEquals([c.sample, c.tp, c.fp, c.fn, c.tn], [8, 0, 0, 0, 8]);
    assertEquals([c.precision, c.recall, c.f1], [null, null, null]);
    assertEquals(belowFloor(report, 0.7), []);
    const stored = JSON.parse(new TextDecoder().decode(await lake.read(auditKey(parseDay("2024-11-24")))));
    assertEquals(stored.courses["ml-zoomcamp"].f1, null);
  } finally {
    await llm.close();
  }
});

Deno.test("audit with an LLM that fails every request writes what it can and says so", async () => {
  const llm = startFakeLlm(() => ({ status: 500 }));
  const dir = await Deno.makeTempDir();
  try {
    await goldLake(new LocalLake(dir), NEGATIVES);
    const env = { OPENAI_API_KEY: "k", OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "m" };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    let r;
    try {
      r = await capture(() => auditMain(["--lake", dir, "--until", "2024-11-24", "--min-f1", "0.5"]));
    } finally {
      for (const [k, v] of Object.entries(saved)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
    assertEquals(r.code, 1, r.err);
    ok(r.err.includes("audit: 8 LLM request(s) failed; their decisions are counted unlabeled. Run again."), r.err);
    ok(r.err.includes("ml-zoomcamp: no drawn decision has a human or LLM label"), r.err);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/${auditKey(parseDay("2024-11-24"))}`)) as AuditReport;
    const c = report.courses["ml-zoomcamp"]!;
    assertEquals([c.drawn, c.sample, c.unlabeled, report.llm_failed, c.f1], [8, 0, 8, 8, null]);
  } finally {
    await llm.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit refuses wrong numbers and reports an empty window", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [args, message] of [
        [["--days", "0"], '--days "0" must be a whole number of 1 or more'],
        [["--days", "-1"], "Option '--days' argument is ambiguous"],
        [["--days=-1"], '--days "-1" must be a whole number of 1 or more'],
        [["--days", "abc"], '--days "abc" must be a whole number of 1 or more'],
        [["--sample", "0"], '--sample "0" must be a whole number of 1 or more'],
        [["--min-f1", "1.5"], '--min-f1 "1.5" must be from 0 to 1'],
        [["--min-f1", "abc"], '--min-f1 "abc" must be from 0 to 1'],
      ] as const
    ) {
      await t.step(args.join(" "), async () => {
        const r = await capture(() => auditMain(["--lake", dir, ...args]));
        assertEquals(r.code, 2);
        ok(r.err.includes(message), r.err);
      });
    }
    await t.step("no gold in the window: zero decisions, no F1, no alert", async () => {
      await goldLake(new LocalLake(dir), NEGATIVES);
      const r = await capture(() =>
        auditMain(["--lake", dir, "--until", "2025-06-01", "--min-f1", "0.9", "--log-format", "json"])
      );
      assertEquals(r.code, 0, r.err);
      const c = JSON.parse(r.out).courses["ml-zoomcamp"];
      assertEquals([c.decisions, c.sample, c.f1], [0, 0, null]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
