// The pure parts of the learning loop: sampling, label precedence, the CSV, promotion, score bands.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, assertThrows } from "../_helpers.ts";
import { allocate, stratifiedSample } from "../../lib/classify/sample.ts";
import {
  courseOfMessageId,
  type LabelRecord,
  labelsKey,
  mergeLabelsFile,
  readCourseLabels,
  resolveLabels,
} from "../../lib/classify/labels_store.ts";
import {
  csvCell,
  exportLabelsCsv,
  formatCsv,
  MAX_CELL_CHARS,
  parseCsv,
  parseHumanLabel,
  uncell,
} from "../../lib/classify/labels_csv.ts";
import { decidePromotion, headKey, promotionBasis, readCurrentHead } from "../../lib/classify/heads.ts";
import { belowFloor, scoreBand } from "../../lib/classify/audit.ts";
import { MemoryLake } from "../../lib/lake.ts";
import { enc } from "../_helpers.ts";

Deno.test("stratifiedSample() is deterministic for a seed and leaves no stratum out", async (t) => {
  const items = Array.from({ length: 200 }, (_, i) => ({ id: `c:${i}`, month: i < 190 ? "2024-01" : "2024-02" }));
  const draw = (seed: number, n: number, list = items) =>
    stratifiedSample(list, { n, seed, stratum: (x) => x.month, id: (x) => x.id }).map((x) => x.id);
  await t.step("the same seed draws the same items whatever the input order", () => {
    assertEquals(draw(1, 20), draw(1, 20, [...items].reverse()));
    ok(draw(1, 20).join() !== draw(2, 20).join());
  });
  await t.step("allocation is proportional, with at least one per stratum", () => {
    assertEquals(allocate(new Map([["a", 190], ["b", 10]]), 20), new Map([["a", 19], ["b", 1]]));
    assertEquals(allocate(new Map([["a", 199], ["b", 1]]), 10), new Map([["a", 9], ["b", 1]]));
    assertEquals(allocate(new Map([["a", 3], ["b", 1]]), 10), new Map([["a", 3], ["b", 1]]));
    const months = draw(5, 10).map((id) => items.find((x) => x.id === id)!.month);
    assertEquals(months.filter((m) => m === "2024-02").length, 1);
    assertEquals(draw(5, 10).length, 10);
  });
  await t.step("a larger sample with the same seed holds the smaller one", () => {
    const small = draw(3, 10);
    const large = draw(3, 40);
    for (const id of small) ok(large.includes(id), id);
  });
});

Deno.test("resolveLabels() lets a human win over the LLM, and the LLM over the FAQ", async (t) => {
  const base = { text: "t", confidence: 1, reason: "" };
  const rec = (id: string, source: LabelRecord["source"], label: boolean): LabelRecord => ({
    ...base,
    message_id: id,
    source,
    label,
  });
  await t.step("precedence", () => {
    const out = resolveLabels([
      rec("c:1", "faq", true),
      rec("c:1", "llm", false),
      rec("c:2", "human", false),
      rec("c:2", "faq", true),
      rec("c:3", "faq", true),
    ]);
    assertEquals(out.map((r) => [r.message_id, r.source, r.label]), [
      ["c:1", "llm", false],
      ["c:2", "human", false],
      ["c:3", "faq", true],
    ]);
  });
  await t.step("files merge by message_id, sorted, and read back resolved", async () => {
    const lake = new MemoryLake();
    await mergeLabelsFile(lake, "ml", "llm", [rec("ml:2", "llm", true), rec("ml:1", "llm", true)]);
    assertEquals(await mergeLabelsFile(lake, "ml", "llm", [rec("ml:2", "llm", false)]), 2);
    await mergeLabelsFile(lake, "ml", "human", [rec("ml:1", "human", false)]);
    assertEquals((await readCourseLabels(lake, "ml")).map((r) => [r.message_id, r.source, r.label]), [
      ["ml:1", "human", false],
      ["ml:2", "llm", false],
    ]);
    const text = new TextDecoder().decode(await lake.read(labelsKey("ml", "llm")));
    ok(text.indexOf('"ml:1"') < text.indexOf('"ml:2"'));
  });
  await t.step("a broken line is named by key and line", async () => {
    const lake = new MemoryLake();
    await lake.write(labelsKey("ml", "faq"), enc('{"message_id":"ml:1"}\n{oops\n'));
    await assertRejects(() => readCourseLabels(lake, "ml"), SyntaxError, "labels/ml/faq.jsonl:2: not JSON");
  });
  await t.step("message ids and keys", () => {
    assertEquals(courseOfMessageId("de-zoomcamp:1704067200.000100"), "de-zoomcamp");
    assertEquals(courseOfMessageId("nocourse"), undefined);
    assertThrows(() => labelsKey("../x", "human"), TypeError, 'Course id "../x" is not valid');
  });
});

Deno.test("The audit CSV is RFC 4180, formula-safe, and reads back bad rows one by one", async (t) => {
  await t.step("cells are quoted when needed and formulas are defused", () => {
    assertEquals(csvCell("plain"), "plain");
    assertEquals(csvCell('say "hi", ok'), '"say ""hi"", ok"');
    assertEquals(csvCell("two\nlines"), '"two\nlines"');
    for (const f of ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx"]) {
      ok(csvCell(f).replace(/^"/, "").startsWith("'"), f);
      assertEquals(uncell(parseCsv(`${csvCell(f)}\r\n`)[0]!.cells![0]!), f);
    }
    assertEquals(uncell("'plain"), "'plain");
  });
  await t.step("what formatCsv writes, parseCsv reads", () => {
    const rows = [["ml:1", 'He said "why?",\nthen left', "é ü 日本"], ["ml:2", "", " padded "]];
    const text = formatCsv(["a", "b", "c"], rows);
    ok(text.startsWith("\uFEFFa,b,c\r\n"));
    assertEquals(parseCsv(text).map((r) => r.cells), [["a", "b", "c"], ...rows]);
    assertEquals(parseCsv(text)[2]!.row, 3);
    assertEquals(parseCsv(text)[2]!.line, 4);
  });
  await t.step("broken quoting is reported per row, and parsing goes on", () => {
    const text = 'a,b\n"x"y,1\nok,2\nbad"q,3\n"open,4\nlast,5\n';
    const out = parseCsv(text);
    assertEquals(out.map((r) => [r.row, r.cells ?? r.error!.split(":")[0]]), [
      [1, ["a", "b"]],
      [2, "there is text after a closing quote"],
      [3, ["ok", "2"]],
      [4, "a quote is inside an unquoted cell"],
      [5, "a quoted cell is never closed"],
      [6, ["last", "5"]],
    ]);
  });
  await t.step("the export cuts a text too long for a spreadsheet cell and defuses formulas", async () => {
    const lake = new MemoryLake();
    const long = "x".repeat(MAX_CELL_CHARS + 500);
    await mergeLabelsFile(lake, "ml", "sample", [
      { message_id: "ml:1", text: long, month: "2024-01" },
      { message_id: "ml:2", text: "=cmd|' /C calc'!A0", month: "2024-01" },
    ]);
    const { csv, rows } = await exportLabelsCsv(lake, "ml");
    const cells = parseCsv(csv).slice(1).map((r) => r.cells!);
    assertEquals(rows, 2);
    assertEquals(cells[0]![1]!.length, MAX_CELL_CHARS + 1);
    assertEquals(cells[1]![1], "'=cmd|' /C calc'!A0");
    assertEquals(cells.map((c) => [c[2], c[3], c[6]]), [["", "", ""], ["", "", ""]]);
  });
  await t.step("human labels", () => {
    for (const v of ["1", "true", "YES", " y "]) assertEquals(parseHumanLabel(v), true, v);
    for (const v of ["0", "False", "no", "N"]) assertEquals(parseHumanLabel(v), false, v);
    assertEquals(parseHumanLabel("  "), null);
    assertEquals(parseHumanLabel("maybe"), undefined);
    assertEquals(parseHumanLabel("2"), undefined);
  });
});

Deno.test("decidePromotion() keeps the deployed head unless the new one is at least as good", async (t) => {
  await t.step("the rule", () => {
    assertEquals(decidePromotion({ version: "b", f1: 0.5 }, undefined).promote, true);
    assertEquals(decidePromotion({ version: "b", f1: 0.8 }, { version: "a", f1: 0.8, comparable: true }).promote, true);
    const no = decidePromotion({ version: "b", f1: 0.7 }, { version: "a", f1: 0.8, comparable: true });
    assertEquals(no.promote, false);
    ok(
      no.reason.includes(
        "the deployed head a wins: its F1 0.800 on the same labels beats the new head b's CV F1 0.700",
      ),
    );
    ok(decidePromotion({ version: "b", f1: 0.1 }, { version: "a", f1: 0.9, comparable: false }).promote);
    ok(decidePromotion({ version: "a", f1: 0.1 }, { version: "a", f1: 0.9, comparable: true }).promote);
  });
  await t.step("heads are compared on the labels the deployed head never saw, when there are enough", () => {
    const ids = Array.from({ length: 30 }, (_, i) => `c:${i}`);
    const truth = ids.map((_, i) => i % 3 === 0);
    const oof = truth.map((t, i) => (i < 20 ? !t : t)); // wrong on the first 20, right on the last 10
    const fresh = promotionBasis(ids.slice(0, 20), ids, truth, oof);
    assertEquals(fresh.idx, Array.from({ length: 10 }, (_, i) => 20 + i));
    assertEquals(fresh.candidateF1, 1);
    ok(fresh.basis.startsWith("the 10 labels it was not trained on"));
    const few = promotionBasis(ids.slice(0, 25), ids, truth, oof);
    assertEquals([few.idx.length, few.basis], [30, "the same 30 labels"]);
    assertEquals(promotionBasis(undefined, ids, truth, oof).idx.length, 30);
    assertEquals(promotionBasis(ids.slice(0, 20), undefined, truth, oof).idx.length, 30);
  });
  await t.step("head keys are safe and a broken pointer is explained", async () => {
    assertEquals(headKey("abc123"), "models/heads/abc123.json");
    assertThrows(() => headKey("../x"), TypeError, 'Head version "../x" cannot name a file');
    assertThrows(() => headKey("current"), TypeError, "cannot name a file");
    const lake = new MemoryLake();
    assertEquals(await readCurrentHead(lake), undefined);
    await lake.write("models/heads/current.json", enc("{"));
    await assertRejects(() => readCurrentHead(lake), SyntaxError, "is not JSON");
    await lake.write("models/heads/current.json", enc('{"version":"x","key":"models/heads/x.json"}'));
    const repair =
      "delete models/heads/current.json from the lake (label:batch then uses the model folder's head.json), " +
      "then deploy a head with deno task train --promote";
    await assertRejects(() => readCurrentHead(lake), TypeError, `which does not exist: ${repair}`);
    await lake.write("models/heads/x.json", enc("{not json"));
    await assertRejects(
      () => readCurrentHead(lake),
      SyntaxError,
      `Head file memory://lake/models/heads/x.json is not JSON`,
    );
    await assertRejects(() => readCurrentHead(lake), SyntaxError, repair);
    await lake.write("models/heads/x.json", enc('{"coef": []}'));
    await assertRejects(() => readCurrentHead(lake), TypeError, `must be a non-empty array of numbers: ${repair}`);
    await lake.write("models/heads/current.json", enc("{"));
    await assertRejects(
      () => readCurrentHead(lake),
      SyntaxError,
      `memory://lake/models/heads/current.json is not JSON`,
    );
    await assertRejects(() => readCurrentHead(lake), SyntaxError, repair);
  });
});

Deno.test("scoreBand() and belowFloor() name strata and failing courses", () => {
  const band = (score: number) => scoreBand({ score, threshold_low: 0.45, threshold_high: 0.65 });
  assertEquals([0.1, 0.3, 0.45, 0.65, 0.7, 0.9].map(band), [
    "p<0.20",
    "0.20<=p<low",
    "band",
    "band",
    "high<p<=0.80",
    "p>0.80",
  ]);
  const c = (f1: number | null, sample: number, decisions: number) => ({ f1, sample, decisions });
  const report = {
    // f: true negatives only, F1 undefined: nothing to alert about.
    courses: { a: c(0.9, 10, 50), b: c(0.4, 10, 50), d: c(null, 0, 5), e: c(null, 0, 0), f: c(null, 8, 8) },
  } as unknown as Parameters<typeof belowFloor>[0];
  assertEquals(belowFloor(report, 0.5), [
    "b: F1 0.400 is below --min-f1 0.5",
    "d: no drawn decision has a human or LLM label, so F1 cannot be measured",
  ]);
});
