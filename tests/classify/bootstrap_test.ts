// The learning loop end to end: bootstrap, the CSV audit, train --promote, label:batch with the lake's head, audit.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, course, enc, type FakeLlm, fixture, startFakeLlm } from "../_helpers.ts";
import { main as bootstrapMain } from "../../classify/label_bootstrap.ts";
import { main as exportMain } from "../../classify/labels_export.ts";
import { main as importMain } from "../../classify/labels_import.ts";
import { main as trainMain } from "../../classify/train.ts";
import { main as labelBatchMain } from "../../classify/label_batch.ts";
import { main as auditMain } from "../../classify/audit.ts";
import { bootstrap, type FaqMatcherFactory, faqMatcherFor } from "../../lib/classify/bootstrap.ts";
import { auditKey, type AuditReport } from "../../lib/classify/audit.ts";
import { CURRENT_HEAD_KEY, headKey, type HeadPointer } from "../../lib/classify/heads.ts";
import { GOLD_COLUMNS, type GoldRow } from "../../lib/classify/label.ts";
import {
  type LabelRecord,
  labelsKey,
  readCourseLabels,
  readLabelsFile,
  type SampleRecord,
} from "../../lib/classify/labels_store.ts";
import { parseCsv } from "../../lib/classify/labels_csv.ts";
import { makePrefilter } from "../../lib/classify/prefilter.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { type Lake, LocalLake } from "../../lib/lake.ts";
import { coursePrefix } from "../../lib/layout.ts";
import { readParquetRows } from "../../lib/parquet.ts";

const TINY = fixture("models/tiny");
const CONFIG = fixture("../courses.yml");
const COURSES = [course("ml-zoomcamp"), course("de-zoomcamp")];
const EXAMPLES = (await Deno.readTextFile(fixture("labels/train.jsonl"))).trim().split("\n")
  .map((l) => JSON.parse(l) as { text: string; is_faq: boolean });
const TRUTH = new Map(EXAMPLES.map((e) => [e.text, e.is_faq]));
const TINY_HEAD = JSON.parse(await Deno.readTextFile(`${TINY}/head.json`)).version as string;

/** A lake whose ml-zoomcamp history holds the labeled fixture texts, over January and February 2024. */
async function historyLake(dir: string): Promise<LocalLake> {
  const lake = new LocalLake(dir);
  const byDay = new Map<string, unknown[]>();
  EXAMPLES.forEach((e, i) => {
    const day = i % 2 === 0
      ? `2024-01-${String(10 + (i % 15)).padStart(2, "0")}`
      : `2024-02-${String(5 + (i % 15)).padStart(2, "0")}`;
    const ts = `${Date.parse(`${day}T12:00:00Z`) / 1000 + i}.000100`;
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day)!.push({ type: "message", ts, user: `U0${i % 7}ABCDEF`, text: e.text });
  });
  for (const [day, msgs] of byDay) {
    const [y, m, d] = day.split("-");
    await lake.write(`raw/slack/ml-zoomcamp/year=${y}/month=${m}/day=${d}/${day}.json`, enc(JSON.stringify(msgs)));
  }
  await ingest(lake, { courses: COURSES });
  return lake;
}

/** An OpenAI-compatible stand-in that answers with the fixture's label, or `answer` for every text. */
function truthfulLlm(answer?: boolean): FakeLlm {
  return startFakeLlm((body) => {
    const text = body.messages.find((m) => m.role === "user")!.content;
    const isFaq = answer ?? TRUTH.get(text) ?? false;
    return { status: 200, content: JSON.stringify({ is_faq: isFaq, confidence: 0.8, reason: `fake says ${isFaq}` }) };
  });
}

async function withLlmEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const names = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "HEAD_FILE", "MODEL_DIR"];
  const saved = Object.fromEntries(names.map((k) => [k, Deno.env.get(k)]));
  for (const k of names) {
    const v = vars[k];
    v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

async function readGold(lake: Lake, courseId: string): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", courseId))) {
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

const json = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

Deno.test("The learning loop: bootstrap, CSV audit, train --promote, label:batch, audit", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lake-loop-" });
  const llm = truthfulLlm();
  const env = { OPENAI_API_KEY: "k", OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "fake-1" };
  const common = ["--lake", dir, "--config", CONFIG];
  try {
    const lake = await historyLake(dir);
    const candidates = EXAMPLES.filter((e) =>
      makePrefilter()({
        is_thread_head: true,
        subtype: null,
        bot_id: null,
        user_id: "U1",
        deleted: false,
        text_plain: e.text,
      })
    );
    let firstCalls = 0;
    let sample: SampleRecord[] = [];

    await t.step("label:bootstrap samples by month and labels each sampled message with the LLM", async () => {
      const r = await withLlmEnv(
        env,
        () => capture(() => bootstrapMain([...common, "--sample", "40", "--seed", "7", "--log-format", "json"])),
      );
      assertEquals(r.code, 0, r.err);
      assertEquals(json(r.out).courses[0].months, 2);
      sample = await readLabelsFile<SampleRecord>(lake, "ml-zoomcamp", "sample");
      assertEquals(sample.length, Math.min(40, candidates.length));
      const months = new Map<string, number>();
      for (const s of sample) months.set(s.month, (months.get(s.month) ?? 0) + 1);
      assertEquals([...months.keys()].sort(), ["2024-01", "2024-02"]);
      const llmLabels = await readLabelsFile<LabelRecord>(lake, "ml-zoomcamp", "llm");
      assertEquals(llmLabels.length, sample.length);
      for (const l of llmLabels) {
        assertEquals(Object.keys(l).sort(), ["confidence", "label", "message_id", "reason", "source", "text"]);
        assertEquals([l.source, l.label, l.confidence], ["llm", TRUTH.get(l.text), 0.8]);
        ok(l.message_id.startsWith("ml-zoomcamp:"));
      }
      firstCalls = llm.requests;
      assertEquals(firstCalls, sample.length);
      ok(llmLabels.some((l) => l.label) && llmLabels.some((l) => !l.label), "both classes");
    });

    await t.step("a rerun with the same seed makes no LLM call and draws the same sample", async () => {
      const r = await withLlmEnv(
        env,
        () => capture(() => bootstrapMain([...common, "--sample", "40", "--seed", "7", "--log-format", "json"])),
      );
      assertEquals(r.code, 0, r.err);
      const s = json(r.out);
      assertEquals([s.llmCalls, s.llmCacheHits], [0, sample.length]);
      assertEquals(llm.requests, firstCalls);
      assertEquals(await readLabelsFile<SampleRecord>(lake, "ml-zoomcamp", "sample"), sample);
    });

    await t.step("another seed draws its own sample, merged into the course's", async () => {
      const r = await withLlmEnv(
        env,
        () =>
          capture(() =>
            bootstrapMain([
              ...common,
              "--course",
              "ml-zoomcamp",
              "--sample",
              "4",
              "--seed",
              "8",
              "--log-format",
              "json",
            ])
          ),
      );
      assertEquals(r.code, 0, r.err);
      assertEquals(json(r.out).courses[0].sampled, 4);
      const merged = await readLabelsFile<SampleRecord>(lake, "ml-zoomcamp", "sample");
      ok(merged.length >= sample.length && merged.length <= sample.length + 4);
      for (const s of sample) ok(merged.some((m) => m.message_id === s.message_id));
    });

    const csvFile = `${dir}/audit.csv`;
    let llmLabels: LabelRecord[] = [];

    await t.step("labels:export writes every sampled message with an empty human_label", async () => {
      llmLabels = await readLabelsFile<LabelRecord>(lake, "ml-zoomcamp", "llm");
      const r = await capture(() => exportMain([...common, "--course", "ml-zoomcamp", "--out", csvFile]));
      assertEquals(r.code, 0, r.err);
      const text = await Deno.readTextFile(csvFile);
      ok(text.startsWith("\uFEFFmessage_id,text,label,source,confidence,reason,human_label\r\n"));
      const records = parseCsv(text);
      const ids = new Set((await readLabelsFile<SampleRecord>(lake, "ml-zoomcamp", "sample")).map((s) => s.message_id));
      assertEquals(records.length - 1, ids.size);
      for (const rec of records.slice(1)) {
        ok(ids.has(rec.cells![0]!));
        assertEquals(rec.cells![6], "");
        assertEquals(rec.cells![3], "llm");
      }
    });

    await t.step("labels:import takes the good rows and names every bad row by number", async () => {
      const records = parseCsv(await Deno.readTextFile(csvFile));
      const header = "message_id,text,label,source,confidence,reason,human_label";
      const line = (cells: string[]) =>
        cells.map((c) => /[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c).join(",");
      const good = records.slice(1, 4).map((r) => r.cells!);
      const rows = [
        header, // row 1
        line([...good[0]!.slice(0, 6), good[0]![2] === "1" ? "no" : "yes"]), // row 2
        line([...good[1]!.slice(0, 6), "TRUE"]), // row 3
        line(["ml-zoomcamp:999.000000", "ghost", "", "", "", "", "1"]), // row 4: unknown message_id
        line([...good[2]!.slice(0, 6), "maybe"]), // row 5: unreadable label
        `${good[2]![0]},"closed" then text,1,llm,0.8,x,0`, // row 6: text after a closing quote
        `${good[2]![0]},bro"ken,1,llm,0.8,x,0`, // row 7: a quote inside an unquoted cell
        line([...good[2]!.slice(0, 6), ""]), // row 8: blank, left alone
        `${good[2]![0]},"never closed,1,llm,0.8,x,0`, // row 9: an unclosed quote
        line([...good[2]!.slice(0, 6), "0"]), // row 10: good, after the unclosed quote
      ];
      await Deno.writeTextFile(csvFile, rows.join("\r\n") + "\r\n");
      const r = await capture(() => importMain([...common, csvFile]));
      assertEquals(r.code, 1, r.err);
      for (
        const [row, text] of [
          [4, 'message_id "ml-zoomcamp:999.000000" is not among'],
          [5, 'human_label "maybe" is not readable: write 1/0, true/false or yes/no'],
          [6, "there is text after a closing quote"],
          [7, "a quote is inside an unquoted cell"],
          [9, "a quoted cell is never closed"],
        ] as const
      ) ok(r.err.includes(`${csvFile}: row ${row}: ${text}`), `row ${row}: ${r.err}`);
      ok(r.out.includes("Imported 3 human label(s) (3 for ml-zoomcamp); 1 row(s) left blank."), r.out);
      const human = await readLabelsFile<LabelRecord>(lake, "ml-zoomcamp", "human");
      assertEquals(human.map((h) => h.message_id).sort(), [good[0]![0], good[1]![0], good[2]![0]].sort());
      assertEquals(human.find((h) => h.message_id === good[2]![0])!.label, false);
      assertEquals(human.find((h) => h.message_id === good[1]![0])!.label, true);
      for (const h of human) assertEquals([h.source, h.confidence], ["human", 1]);
    });

    await t.step("a human label wins over the LLM's", async () => {
      const human = await readLabelsFile<LabelRecord>(lake, "ml-zoomcamp", "human");
      const resolved = new Map((await readCourseLabels(lake, "ml-zoomcamp")).map((r) => [r.message_id, r]));
      for (const h of human) {
        assertEquals([resolved.get(h.message_id)!.source, resolved.get(h.message_id)!.label], ["human", h.label]);
      }
      const disagree = human.filter((h) => llmLabels.find((l) => l.message_id === h.message_id)?.label !== h.label);
      ok(disagree.some((h) => h.reason === `human audit (${csvFile}, row 2)`), "row 2 flipped the LLM's label");
      const again = await capture(() => exportMain([...common, "--course", "ml-zoomcamp", "--out", csvFile]));
      assertEquals(again.code, 0);
      const rows = parseCsv(await Deno.readTextFile(csvFile)).slice(1);
      for (const h of human) {
        const row = rows.find((r) => r.cells![0] === h.message_id)!;
        assertEquals([row.cells![2], row.cells![3]], [h.label ? "1" : "0", "human"]);
      }
    });

    let promoted = "";
    await t.step(
      "train reads the lake's labels, writes models/heads/{version}.json, and --promote deploys it",
      async () => {
        const r = await capture(() => trainMain([...common, "--model", TINY, "--promote", "--log-format", "json"]));
        assertEquals(r.code, 0, r.err);
        const s = json(r.out);
        promoted = s.version;
        const labels = await readCourseLabels(lake, "ml-zoomcamp");
        const head = JSON.parse(new TextDecoder().decode(await lake.read(headKey(promoted))));
        assertEquals(head.metrics.examples, labels.length);
        assertEquals(head.training.trained_on, labels.map((l) => l.message_id));
        assertEquals(head.training.label_counts, {
          llm: labels.filter((l) => l.source === "llm").length,
          faq: 0,
          human: 3,
        });
        ok(head.metrics.f1 >= 0 && head.metrics.f1 <= 1);
        assertEquals(s.promoted, true);
        ok(s.reason.includes("no head was deployed"), s.reason);
        const pointer = JSON.parse(new TextDecoder().decode(await lake.read(CURRENT_HEAD_KEY))) as HeadPointer;
        assertEquals([pointer.version, pointer.key, pointer.previous], [promoted, headKey(promoted), null]);
      },
    );

    await t.step("--promote refuses a head whose CV F1 is below the deployed head's on the same labels", async () => {
      const before = await lake.read(CURRENT_HEAD_KEY);
      const r = await capture(() =>
        trainMain([...common, "--model", TINY, "--promote", "--c", "0.05", "--log-format", "json"])
      );
      assertEquals(r.code, 0, r.err);
      const s = json(r.out);
      ok(s.version !== promoted);
      assertEquals(s.candidate_f1, s.metrics.f1); // the same labels as the deployed head's: compared on all
      ok(s.current_f1 > s.candidate_f1, `deployed ${s.current_f1} vs new ${s.candidate_f1}`);
      assertEquals(s.promoted, false);
      ok(s.reason.startsWith(`the deployed head ${promoted} wins`), s.reason);
      assertEquals(await lake.read(CURRENT_HEAD_KEY), before);
      ok(await lake.stat(headKey(s.version)), "the refused head is kept");
      const text = await capture(() => trainMain([...common, "--model", TINY, "--promote", "--c", "0.05"]));
      ok(text.out.includes(`Not promoted: the deployed head ${promoted} wins`), text.out);
    });

    await t.step("label:batch uses the lake's current head, and gold carries its version", async () => {
      const r = await withLlmEnv({}, () => capture(() => labelBatchMain([...common, "--model", TINY])));
      assertEquals(r.code, 0, r.err);
      ok(r.err.includes(`Head ${promoted} (${lake.url}/${headKey(promoted)})`), r.err);
      const gold = await readGold(lake, "ml-zoomcamp");
      ok(gold.length > 0);
      ok(promoted !== TINY_HEAD);
      for (const g of gold) assertEquals(g.classifier_version, promoted);
    });

    await t.step("--head still wins over the lake's head", async () => {
      const r = await withLlmEnv(
        {},
        () => capture(() => labelBatchMain([...common, "--model", TINY, "--head", `${TINY}/head.json`])),
      );
      assertEquals(r.code, 0, r.err);
      for (const g of await readGold(lake, "ml-zoomcamp")) assertEquals(g.classifier_version, TINY_HEAD);
      await withLlmEnv({}, () => capture(() => labelBatchMain([...common, "--model", TINY])));
    });

    await t.step("audit counts add up to the sample, per course, and the report is written", async () => {
      const r = await withLlmEnv(
        env,
        () =>
          capture(() =>
            auditMain([...common, "--until", "2024-02-29", "--days", "60", "--sample", "30", "--min-f1", "0"])
          ),
      );
      assertEquals(r.code, 0, r.err);
      const report = JSON.parse(new TextDecoder().decode(await lake.read(auditKey("2024-02-29")))) as AuditReport;
      assertEquals(Object.keys(report.courses).sort(), ["de-zoomcamp", "ml-zoomcamp"]);
      const ml = report.courses["ml-zoomcamp"]!;
      const gold = await readGold(lake, "ml-zoomcamp");
      assertEquals(ml.decisions, gold.length);
      assertEquals(ml.drawn, Math.min(30, gold.length));
      assertEquals(ml.tp + ml.fp + ml.fn + ml.tn, ml.sample);
      assertEquals(ml.sample + ml.unlabeled, ml.drawn);
      assertEquals(ml.human + ml.llm, ml.sample);
      assertEquals(ml.unlabeled, 0);
      assertEquals(Object.values(ml.strata).reduce((n, s) => n + s.drawn, 0), ml.drawn);
      assertEquals(Object.values(ml.strata).reduce((n, s) => n + s.decisions, 0), ml.decisions);
      for (const s of Object.values(ml.strata)) ok(s.drawn >= 1, "every stratum is drawn from");
      assertEquals(ml.classifier_versions, [promoted]);
      assertEquals(ml.llm_share, 0); // label:batch ran without a key
      const inBand = gold.filter((g) => g.score >= g.threshold_low && g.score <= g.threshold_high).length;
      assertEquals(ml.band_share, Number((inBand / gold.length).toFixed(4)));
      const expectF1 = ml.tp === 0 ? 0 : (2 * ml.tp) / (2 * ml.tp + ml.fp + ml.fn);
      ok(Math.abs(ml.f1! - expectF1) < 1e-4);
      assertEquals(report.courses["de-zoomcamp"]!.decisions, 0);
      ok(r.out.includes("ml-zoomcamp") && r.out.includes("precision"), r.out);
    });

    await t.step("an F1 below --min-f1 fails the run", async () => {
      const contrary = truthfulLlm(false);
      try {
        const r = await withLlmEnv(
          { OPENAI_API_KEY: "k", OPENAI_BASE_URL: contrary.baseURL, LLM_MODEL: "fake-contrary" },
          () => capture(() => auditMain([...common, "--until", "2024-02-29", "--days", "60", "--min-f1", "0.5"])),
        );
        assertEquals(r.code, 1, r.err);
        const ml = (JSON.parse(new TextDecoder().decode(await lake.read(auditKey("2024-02-29")))) as AuditReport)
          .courses["ml-zoomcamp"]!;
        ok(ml.f1! < 0.5);
        ok(r.err.includes(`audit: ml-zoomcamp: F1 ${ml.f1!.toFixed(3)} is below --min-f1 0.5`), r.err);
      } finally {
        await contrary.close();
      }
    });

    await t.step("wrong flags exit 2 with the reason", async () => {
      await Deno.writeTextFile(`${dir}/noheader.csv`, "id,label\r\nml-zoomcamp:1.0,1\r\n");
      await Deno.writeTextFile(`${dir}/empty.csv`, "");
      const cases: [(a: string[]) => Promise<number>, string[], string][] = [
        [bootstrapMain, ["--sample", "0"], '--sample "0" must be a whole number'],
        [bootstrapMain, ["--since", "2024-03-01", "--until", "2024-01-01"], "is after --until"],
        [exportMain, ["--out", "x.csv"], "--course is required"],
        [exportMain, ["--course", "nope", "--out", "x.csv"], 'Course "nope" is not in'],
        [importMain, [], "Give one CSV file"],
        [importMain, [`${dir}/missing.csv`], "does not exist: write one with deno task labels:export"],
        [
          importMain,
          [`${dir}/noheader.csv`],
          'the header needs "message_id" and "human_label" columns (found: id, label)',
        ],
        [importMain, [`${dir}/empty.csv`], "has no readable header row"],
        [auditMain, ["--min-f1", "2"], '--min-f1 "2" must be from 0 to 1'],
        [auditMain, ["--days", "0"], '--days "0" must be a whole number'],
        [trainMain, ["--model", TINY, "--promote", "--out", `${dir}/h.json`], "--promote deploys a head in the lake"],
      ];
      for (const [fn, args, message] of cases) {
        const r = await capture(() => fn([...common, ...args]));
        assertEquals(r.code, 2, `${args.join(" ")}: ${r.err}`);
        ok(r.err.includes(message), r.err);
      }
    });
  } finally {
    await llm.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bootstrap() without an LLM writes FAQ-derived positives only, and says so", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lake-faq-" });
  try {
    const lake = await historyLake(dir);
    const covers = /deadline|certificate|homework/i;
    const faq: FaqMatcherFactory = (courseId) =>
      Promise.resolve(
        courseId === "ml-zoomcamp"
          ? (text: string) => ({ faqId: "faq-7", score: covers.test(text) ? 0.91 : 0.1, covered: covers.test(text) })
          : undefined,
      );
    await t.step("covered matches become positives with the score as confidence; nothing else is labeled", async () => {
      const s = await bootstrap(lake, { courses: COURSES, prefilter: makePrefilter(), sample: 60, seed: 3, faq });
      const ml = s.courses[0]!;
      assertEquals([s.llm, s.llmCalls, ml.llm, ml.faqAvailable, s.courses[1]!.faqAvailable], [
        false,
        0,
        0,
        true,
        false,
      ]);
      const faqLabels = await readLabelsFile<LabelRecord>(lake, "ml-zoomcamp", "faq");
      const sample = await readLabelsFile<SampleRecord>(lake, "ml-zoomcamp", "sample");
      assertEquals(faqLabels.length, sample.filter((x) => covers.test(x.text)).length);
      ok(faqLabels.length > 0);
      for (const l of faqLabels) {
        assertEquals([l.label, l.source, l.confidence], [true, "faq", 0.91]);
        ok(l.reason.includes("faq-7"));
      }
      assertEquals(ml.faq + ml.unlabeled, ml.sampled);
      assertEquals(await lake.stat(labelsKey("ml-zoomcamp", "llm")), undefined);
    });
    await t.step("the command says there is no key, and which courses have no FAQ to match", async () => {
      assertEquals(await faqMatcherFor(lake)("ml-zoomcamp"), undefined);
      const r = await withLlmEnv({}, () => capture(() => bootstrapMain(["--lake", dir, "--config", CONFIG])));
      assertEquals(r.code, 0, r.err);
      ok(r.err.includes("No OPENAI_API_KEY: no LLM labels; only FAQ-derived labels (positives) are written."), r.err);
      ok(r.err.includes("No FAQ matcher for ml-zoomcamp, de-zoomcamp"), r.err);
      ok(r.out.includes("LLM: off (no OPENAI_API_KEY)."), r.out);
    });
    await t.step("train refuses labels of one class, saying what to do", async () => {
      const r = await capture(() => trainMain(["--lake", dir, "--config", CONFIG, "--model", TINY]));
      assertEquals(r.code, 2, r.err);
      ok(r.err.includes("Training needs examples of both classes"), r.err);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("label:bootstrap stops at the LLM call cap, says so, and the next runs go on from the cache", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lake-cap-" });
  const llm = truthfulLlm();
  try {
    await historyLake(dir);
    const env = { OPENAI_API_KEY: "k", OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "fake-cap" };
    const args = [
      "--lake",
      dir,
      "--config",
      CONFIG,
      "--course",
      "ml-zoomcamp",
      "--sample",
      "12",
      "--log-format",
      "json",
    ];
    const runs: [number, number, number, number][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await withLlmEnv(env, () => capture(() => bootstrapMain([...args, "--llm-max-calls", "5"])));
      const s = json(r.out);
      runs.push([r.code, s.llmCalls, s.llmCacheHits, s.llmCapped]);
      if (s.llmCapped > 0) ok(r.err.includes(`${s.llmCapped} message(s) over the LLM call cap: run again`), r.err);
    }
    assertEquals(runs, [[1, 5, 0, 7], [1, 5, 5, 2], [0, 2, 10, 0], [0, 0, 12, 0]]);
    assertEquals(llm.requests, 12);
    const d = await withLlmEnv(env, () => capture(() => bootstrapMain([...args, "--seed", "2"])));
    ok(json(d.out).llmCapped === 0, "without --llm-max-calls the whole sample is the budget");
  } finally {
    await llm.close();
    await Deno.remove(dir, { recursive: true });
  }
});
