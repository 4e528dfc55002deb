/**
 * `deno task eval`: how well the classifier does on labeled messages, and
 * which band to use.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { EXIT, logFormatFlag } from "../lib/cli.ts";
import { CLASSIFY_ENV, CLASSIFY_FLAG_HELP, CLASSIFY_FLAG_OPTIONS, setupClassifier } from "../lib/classify/setup.ts";
import { type Metrics, metrics, parseLabels, score, suggestBand } from "../lib/classify/head.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task eval --labels FILE.jsonl [options]

Scores labeled messages with the model and head (and the LLM inside the band, when
OPENAI_API_KEY is set); prints precision, recall, F1 and the confusion matrix, overall
and per decision source, and suggests the band that reaches --target-precision with
the fewest LLM calls.

Options:
  --labels FILE             JSON lines: {"text": "...", "is_faq": true}
  --target-precision P      the precision the band should reach (default 0.9)
${CLASSIFY_FLAG_HELP}
  --log-format F            text (default) or json`;

function row(name: string, m: Metrics, n: number): (string | number)[] {
  return [
    name,
    n,
    m.precision.toFixed(3),
    m.recall.toFixed(3),
    m.f1.toFixed(3),
    m.accuracy.toFixed(3),
    m.tp,
    m.fp,
    m.tn,
    m.fn,
  ];
}

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values;
  let examples;
  let target: number;
  let clf;
  let json: boolean;
  try {
    values = parseArgs({
      args,
      options: {
        labels: { type: "string" },
        "target-precision": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        ...CLASSIFY_FLAG_OPTIONS,
      },
      strict: true,
    }).values;
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    json = logFormatFlag(values["log-format"]) === "json";
    if (!values.labels) throw new TypeError("--labels is required: a JSON-lines file of labeled messages");
    target = Number(values["target-precision"] ?? 0.9);
    if (!(target > 0 && target <= 1)) {
      throw new RangeError(`--target-precision "${values["target-precision"]}" must be in (0, 1]`);
    }
    examples = parseLabels(await Deno.readTextFile(values.labels), values.labels);
    const env = Object.fromEntries(CLASSIFY_ENV.map((n) => [n, Deno.env.get(n)]));
    clf = await setupClassifier({ flags: values, env });
  } catch (e) {
    console.error(`eval: ${(e as Error).message}`);
    return EXIT.usage;
  }
  try {
    if (clf.llmNotice && !json) console.error(clf.llmNotice);
    const truth = examples.map((e) => e.is_faq);
    const scores = (await clf.embedder.embed(examples.map((e) => e.text))).map((v) => score(clf.head, v));
    const modelOnly = scores.map((p) => p >= clf.head.thresholds.decision);
    const inBand = scores.map((p) => p >= clf.band.low && p <= clf.band.high);
    const llmAnswers: (boolean | undefined)[] = new Array(scores.length).fill(undefined);
    if (clf.llm) {
      const idx = inBand.map((b, i) => (b ? i : -1)).filter((i) => i >= 0);
      const results = await clf.llm.judge(idx.map((i) => examples[i]!.text));
      idx.forEach((i, k) => {
        const r = results[k]!;
        if (r.status === "answered" || r.status === "cached") llmAnswers[i] = r.answer.is_faq;
      });
    }
    const hybrid = scores.map((_, i) => llmAnswers[i] ?? modelOnly[i]!);
    const bySource = (source: "model" | "llm") => {
      const idx = hybrid.map((_, i) => i).filter((i) => (llmAnswers[i] === undefined) === (source === "model"));
      return { m: metrics(idx.map((i) => truth[i]!), idx.map((i) => hybrid[i]!)), n: idx.length };
    };
    const overall = metrics(truth, hybrid);
    const model = bySource("model");
    const llm = bySource("llm");
    const band = suggestBand(scores, truth, { targetPrecision: target, decision: clf.head.thresholds.decision });
    if (json) {
      console.log(
        JSON.stringify({
          event: "eval",
          examples: examples.length,
          overall,
          model: model.m,
          llm: llm.m,
          modelOnly: metrics(truth, modelOnly),
          band: clf.band,
          suggestedBand: band,
        }),
      );
      return EXIT.ok;
    }
    console.log(
      formatTable(["decided by", "n", "precision", "recall", "F1", "accuracy", "TP", "FP", "TN", "FN"], [
        row("all", overall, examples.length),
        row("model", model.m, model.n),
        row("llm", llm.m, llm.n),
        row("model alone", metrics(truth, modelOnly), examples.length),
      ]),
    );
    console.log(
      `\nBand now [${clf.band.low}, ${clf.band.high}]: ${
        inBand.filter(Boolean).length
      } of ${examples.length} would go to the LLM.`,
    );
    console.log(
      band.reachesTarget
        ? `Suggested band [${band.low}, ${band.high}]: precision ${band.precision.toFixed(3)} >= ${target} with ${
          (band.llmShare * 100).toFixed(1)
        }% of candidates sent to the LLM${clf.llm ? "" : " (assuming the LLM agrees with the labels)"}.`
        : `No band reaches precision ${target}; the most precise is [${band.low}, ${band.high}] at ${
          band.precision.toFixed(3)
        } with ${(band.llmShare * 100).toFixed(1)}% sent to the LLM. More labels or a better model are needed.`,
    );
    return EXIT.ok;
  } finally {
    await clf.embedder.dispose();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
