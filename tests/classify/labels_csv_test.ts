// The audit CSV through real spreadsheet habits: re-saved with other line ends, separators, column orders and labels.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, capture, fixture } from "../_helpers.ts";
import { main as exportMain } from "../../classify/labels_export.ts";
import { main as importMain } from "../../classify/labels_import.ts";
import { type LabelRecord, mergeLabelsFile, readLabelsFile } from "../../lib/classify/labels_store.ts";
import {
  decodeCsvBytes,
  detectSeparator,
  exportLabelsCsv,
  importLabelsCsv,
  parseCsv,
  uncell,
} from "../../lib/classify/labels_csv.ts";
import { type Lake, LocalLake, MemoryLake } from "../../lib/lake.ts";

const TEXTS = [
  'He said "why?", then left',
  "two\nlines\r\nand a CRLF",
  '=HYPERLINK("http://evil.example","click me")',
  "-1 is the answer; or +1? @here",
  "emoji 🎉🚀 and accents é ü 日本",
  "  padded  ",
  "plain question?",
];

async function courseLake(): Promise<MemoryLake> {
  const lake = new MemoryLake();
  await mergeLabelsFile(
    lake,
    "ml",
    "sample",
    TEXTS.map((text, i) => ({ message_id: `ml:${i + 1}.0`, text, month: "2024-01" })),
  );
  await mergeLabelsFile<LabelRecord>(lake, "ml", "llm", [
    {
      message_id: "ml:1.0",
      text: TEXTS[0]!,
      label: true,
      source: "llm",
      confidence: 0.8,
      reason: 'a, "quoted" reason',
    },
  ]);
  return lake;
}

/** What a spreadsheet writes when it saves rows: cells quoted when they hold the separator, a quote or a line break. */
function resave(rows: string[][], options: { sep: string; eol: string; bom: boolean }): string {
  const cell = (c: string) => (c.includes(options.sep) || /["\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  return (options.bom ? "\uFEFF" : "") + rows.map((r) => r.map(cell).join(options.sep)).join(options.eol) + options.eol;
}

/** The export as a spreadsheet shows it, with `human_label` filled in per message id. */
async function filled(lake: Lake, labels: Record<string, string>): Promise<string[][]> {
  const rows = parseCsv((await exportLabelsCsv(lake, "ml")).csv).map((r) => r.cells!);
  const h = rows[0]!.indexOf("human_label");
  return rows.map((r, i) => (i === 0 ? r : r.map((c, j) => (j === h ? labels[r[0]!] ?? "" : c))));
}

const humanOf = async (lake: Lake) =>
  new Map((await readLabelsFile<LabelRecord>(lake, "ml", "human")).map((r) => [r.message_id, r]));

Deno.test("labels:export cells read back unchanged: quotes, commas, line breaks, emoji, formulas", async () => {
  const lake = await courseLake();
  const rows = parseCsv((await exportLabelsCsv(lake, "ml")).csv);
  assertEquals(rows.slice(1).map((r) => uncell(r.cells![1]!)), TEXTS);
  for (const r of rows.slice(1)) ok(!/^[=+\-@]/.test(r.cells![1]!), r.cells![1]);
  assertEquals(rows[1]!.cells![5], 'a, "quoted" reason');
});

Deno.test("labels:import takes a re-saved file: CRLF or LF, BOM or not, comma, semicolon or tab", async (t) => {
  const answers = { "ml:1.0": "Yes ", "ml:2.0": "TRUE", "ml:3.0": " 0", "ml:5.0": "no", "ml:7.0": "1" };
  for (const sep of [",", ";", "\t"]) {
    for (const [eol, bom] of [["\r\n", true], ["\n", false]] as const) {
      await t.step(`separator ${JSON.stringify(sep)}, ${JSON.stringify(eol)}, BOM ${bom}`, async () => {
        const lake = await courseLake();
        const text = resave(await filled(lake, answers), { sep, eol, bom });
        assertEquals(detectSeparator(text.replace(/^\uFEFF/, "")), sep);
        const s = await importLabelsCsv(lake, text, { courses: ["ml"], file: "f.csv" });
        assertEquals(s.problems, []);
        assertEquals(s.imported, { ml: 5 });
        assertEquals(s.blank, 2);
        const human = await humanOf(lake);
        assertEquals([...human.values()].map((r) => [r.message_id, r.label]), [
          ["ml:1.0", true],
          ["ml:2.0", true],
          ["ml:3.0", false],
          ["ml:5.0", false],
          ["ml:7.0", true],
        ]);
        // The lake's text, not the spreadsheet's, is kept: the formula, the CRLF and the emoji are intact.
        assertEquals([...human.values()].map((r) => r.text), [TEXTS[0], TEXTS[1], TEXTS[2], TEXTS[4], TEXTS[6]]);
      });
    }
  }
});

Deno.test("labels:import finds columns by name: reordered and extra columns", async () => {
  const lake = await courseLake();
  const rows = await filled(lake, { "ml:3.0": "1", "ml:4.0": "false" });
  const reordered = rows.map((r, i) => [i === 0 ? "my notes" : "checked, ok", r[6]!, r[1]!, r[0]!, r[3]!]);
  reordered[0]![1] = " Human_Label ";
  const s = await importLabelsCsv(lake, resave(reordered, { sep: ",", eol: "\r\n", bom: false }), {
    courses: ["ml"],
    file: "f.csv",
  });
  assertEquals(s.problems, []);
  assertEquals([...(await humanOf(lake)).values()].map((r) => [r.message_id, r.label]), [["ml:3.0", true], [
    "ml:4.0",
    false,
  ]]);
});

Deno.test("labels:import refuses bad rows by number and keeps every good one", async (t) => {
  await t.step("unreadable labels: 0.0, 2, x", async () => {
    const lake = await courseLake();
    const rows = await filled(lake, { "ml:1.0": "0.0", "ml:2.0": "2", "ml:3.0": "x", "ml:4.0": "1" });
    const s = await importLabelsCsv(lake, resave(rows, { sep: ",", eol: "\r\n", bom: true }), {
      courses: ["ml"],
      file: "f.csv",
    });
    assertEquals(s.problems.map((p) => p.row), [2, 3, 4]);
    ok(s.problems[0]!.message.includes('human_label "0.0" is not readable: write 1/0, true/false or yes/no'));
    assertEquals([...(await humanOf(lake)).keys()], ["ml:4.0"]);
  });
  await t.step("the same message twice: the same label is taken once, conflicting labels neither", async () => {
    const lake = await courseLake();
    await mergeLabelsFile<LabelRecord>(lake, "ml", "human", [
      { message_id: "ml:2.0", text: TEXTS[1]!, label: true, source: "human", confidence: 1, reason: "earlier" },
    ]);
    const rows = await filled(lake, { "ml:1.0": "1", "ml:2.0": "0", "ml:5.0": "1" });
    const dup = (id: string, label: string) => rows.find((r) => r[0] === id)!.map((c, j) => (j === 6 ? label : c));
    rows.push(dup("ml:1.0", "yes"), dup("ml:2.0", "1"), dup("ml:2.0", "0"));
    const s = await importLabelsCsv(lake, resave(rows, { sep: ",", eol: "\r\n", bom: true }), {
      courses: ["ml"],
      file: "f.csv",
    });
    assertEquals(s.problems.map((p) => p.row), [10, 11]);
    ok(s.problems[0]!.message.startsWith('message_id "ml:2.0" has human_label 0 on row 3 and 1 here: neither row'));
    const human = await humanOf(lake);
    assertEquals([...human.values()].map((r) => [r.message_id, r.label, r.reason]), [
      ["ml:1.0", true, "human audit (f.csv, row 2)"],
      ["ml:2.0", true, "earlier"],
      ["ml:5.0", true, "human audit (f.csv, row 6)"],
    ]);
  });
  await t.step("a truncated file: the cut row is refused, the rows before it land", async () => {
    const lake = await courseLake();
    const text = resave(await filled(lake, { "ml:1.0": "1", "ml:2.0": "0" }), { sep: ",", eol: "\r\n", bom: true });
    const cut = text.slice(0, text.indexOf("=HYPERLINK") + 5);
    const s = await importLabelsCsv(lake, cut, { courses: ["ml"], file: "f.csv" });
    assertEquals(s.problems.map((p) => [p.row, p.message.split(":")[0]]), [[4, "a quoted cell is never closed"]]);
    assertEquals([...(await humanOf(lake)).keys()], ["ml:1.0", "ml:2.0"]);
  });
  await t.step("an empty file is refused; a header alone imports nothing", async () => {
    const lake = await courseLake();
    for (const empty of ["", "\uFEFF", "\r\n\r\n"]) {
      await assertRejects(
        () => importLabelsCsv(lake, empty, { courses: ["ml"], file: "f.csv" }),
        TypeError,
        "f.csv has no readable header row: export one with deno task labels:export",
      );
    }
    const s = await importLabelsCsv(lake, "\uFEFFmessage_id;text;human_label\r\n", { courses: ["ml"], file: "f.csv" });
    assertEquals(s, { imported: {}, blank: 0, problems: [] });
    assertEquals(await lake.stat("labels/ml/human.jsonl"), undefined);
  });
});

Deno.test("Two labels:import at once lose no label", async (t) => {
  for (const lakes of ["one lake object", "two lake objects on one folder"]) {
    await t.step(lakes, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const a = new LocalLake(dir);
        const b = lakes === "one lake object" ? a : new LocalLake(dir);
        const seed = await courseLake();
        for await (const e of seed.list("")) await a.write(e.key, await seed.read(e.key));
        const rows = await filled(a, {});
        const only = (ids: string[], label: string) =>
          resave(rows.map((r, i) => (i > 0 && ids.includes(r[0]!) ? r.map((c, j) => (j === 6 ? label : c)) : r)), {
            sep: ",",
            eol: "\r\n",
            bom: true,
          });
        const [sa, sb] = await Promise.all([
          importLabelsCsv(a, only(["ml:1.0", "ml:2.0", "ml:3.0"], "1"), { courses: ["ml"], file: "ana.csv" }),
          importLabelsCsv(b, only(["ml:4.0", "ml:5.0"], "0"), { courses: ["ml"], file: "bo.csv" }),
        ]);
        assertEquals([sa.imported, sb.imported], [{ ml: 3 }, { ml: 2 }]);
        const human = await readLabelsFile<LabelRecord>(a, "ml", "human");
        assertEquals(human.map((r) => [r.message_id, r.label]), [
          ["ml:1.0", true],
          ["ml:2.0", true],
          ["ml:3.0", true],
          ["ml:4.0", false],
          ["ml:5.0", false],
        ]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("labels:export leaves out API keys and tokens a message text holds", async () => {
  const lake = new MemoryLake();
  const text = "OPENAI_API_KEY=sk-live-SECRETSECRETSECRET123456 and xoxb-1-2-abcdef fail?";
  await mergeLabelsFile(lake, "ml", "sample", [{ message_id: "ml:1.0", text, month: "2024-01" }]);
  const csv = (await exportLabelsCsv(lake, "ml")).csv;
  ok(!csv.includes("SECRET") && !csv.includes("xoxb"), csv);
  assertEquals(parseCsv(csv)[1]!.cells![1], "OPENAI_API_KEY=[REDACTED] and [REDACTED] fail?");
});

Deno.test("labels:import and labels:export at the command line: UTF-16, a header alone, a wrong --out", async (t) => {
  const dir = await Deno.makeTempDir();
  const common = ["--lake", `${dir}/lake`, "--config", fixture("../courses.yml")];
  try {
    const lake = new LocalLake(`${dir}/lake`);
    await mergeLabelsFile(lake, "ml-zoomcamp", "sample", [{
      message_id: "ml-zoomcamp:1.0",
      text: "q?",
      month: "2024-01",
    }]);
    await t.step("Excel's Unicode Text: UTF-16 with a byte order mark, tab-separated", async () => {
      const text = "message_id\ttext\thuman_label\r\nml-zoomcamp:1.0\tq? é🎉\tyes\r\n";
      const le = new Uint8Array([
        0xff,
        0xfe,
        ...new Uint8Array(
          new Uint16Array([...text].flatMap((c) => {
            const cp = c.codePointAt(0)!;
            return cp > 0xffff ? [0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)] : [cp];
          })).buffer,
        ),
      ]);
      assertEquals(decodeCsvBytes(le), text);
      await Deno.writeFile(`${dir}/u16.txt`, le);
      const r = await capture(() => importMain([...common, `${dir}/u16.txt`]));
      assertEquals(r.code, 0, r.err);
      assertEquals((await readLabelsFile<LabelRecord>(lake, "ml-zoomcamp", "human")).map((x) => x.label), [true]);
    });
    await t.step("a header alone says there is nothing to import", async () => {
      await Deno.writeTextFile(`${dir}/h.csv`, "message_id,human_label\r\n");
      const r = await capture(() => importMain([...common, `${dir}/h.csv`]));
      assertEquals(r.code, 0, r.err);
      ok(r.out.includes(`${dir}/h.csv has a header but no rows: nothing to import.`), r.out);
    });
    await t.step("--out in a folder that does not exist is a usage error", async () => {
      const r = await capture(() => exportMain([...common, "--course", "ml-zoomcamp", "--out", `${dir}/no/x.csv`]));
      assertEquals(r.code, 2, r.err);
      ok(r.err.includes(`--out ${dir}/no/x.csv cannot be written`), r.err);
      ok(r.err.includes("name a file in a folder that exists"), r.err);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
