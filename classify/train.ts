/**
 * `deno task train`: trains the logistic head on labeled messages.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { EXIT } from "../lib/cli.ts";
import { CLASSIFY_ENV, deviceAndDtype, modelDirOf } from "../lib/classify/setup.ts";
import { loadEmbedder } from "../lib/classify/embed.ts";
import { parseLabels, trainHead } from "../lib/classify/head.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task train --labels FILE.jsonl [--model DIR] [--out HEAD.json] [options]

Embeds the labeled messages and fits logistic regression (L2, balanced class weights),
as SetFit's head; reports cross-validated metrics and writes the head.

Options:
  --labels FILE   JSON lines: {"text": "...", "is_faq": true}
  --model DIR     the embedding model folder (default: $MODEL_DIR, then models/Xenova/all-MiniLM-L6-v2)
  --out FILE      where to write the head (default: DIR/head.json)
  --c C           inverse L2 strength (default 1)
  --folds K       cross-validation folds (default 5)
  --device D      wasm (default) or cpu
  --dtype T       fp32, q8 or auto (default auto)`;

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values;
  let examples;
  let c: number;
  let folds: number;
  try {
    values = parseArgs({
      args,
      options: {
        labels: { type: "string" },
        model: { type: "string" },
        out: { type: "string" },
        c: { type: "string" },
        folds: { type: "string" },
        device: { type: "string" },
        dtype: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (!values.labels) throw new TypeError("--labels is required: a JSON-lines file of labeled messages");
    c = Number(values.c ?? 1);
    if (!(c > 0)) throw new RangeError(`--c "${values.c}" must be a positive number`);
    folds = Number(values.folds ?? 5);
    if (!Number.isInteger(folds) || folds < 2) {
      throw new RangeError(`--folds "${values.folds}" must be a whole number of 2 or more`);
    }
    examples = parseLabels(await Deno.readTextFile(values.labels), values.labels);
  } catch (e) {
    console.error(`train: ${(e as Error).message}`);
    return EXIT.usage;
  }
  const env = Object.fromEntries(CLASSIFY_ENV.map((n) => [n, Deno.env.get(n)]));
  const modelDir = modelDirOf(values, env);
  let embedder;
  try {
    embedder = await loadEmbedder(modelDir, await deviceAndDtype(values, modelDir));
  } catch (e) {
    console.error(`train: ${(e as Error).message}`);
    return EXIT.usage;
  }
  try {
    const head = await trainHead(embedder, examples, { c, folds, labels: values.labels });
    const cv = head.metrics;
    const out = values.out ?? `${modelDir}/head.json`;
    await Deno.writeTextFile(out, JSON.stringify(head, null, 1) + "\n");
    console.log(
      formatTable(["examples", "FAQ", "folds", "precision", "recall", "F1", "accuracy"], [[
        cv.examples!,
        cv.positives!,
        cv.folds!,
        cv.precision!.toFixed(3),
        cv.recall!.toFixed(3),
        cv.f1!.toFixed(3),
        cv.accuracy!.toFixed(3),
      ]]),
    );
    console.log(`\nWrote head ${head.version} for ${embedder.modelId} to ${out}.`);
    return EXIT.ok;
  } catch (e) {
    console.error(`train: ${(e as Error).message}`);
    return e instanceof RangeError ? EXIT.usage : EXIT.failure;
  } finally {
    await embedder.dispose();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
