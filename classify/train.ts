/**
 * `deno task train`: trains the logistic head on the lake's labels (or a
 * labels file), writes it to `models/heads/{version}.json` in the lake, and
 * with `--promote` deploys it when it is not worse than the deployed head.
 *
 * @module
 */

import { EXIT, processIo, runTask, type TaskSpec, UsageError } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { CLASSIFY_ENV, deviceAndDtype, modelDirOf } from "../lib/classify/setup.ts";
import { loadEmbedder } from "../lib/classify/embed.ts";
import { type LabeledText, metrics, parseLabels, score, trainHead } from "../lib/classify/head.ts";
import {
  decidePromotion,
  pointCurrentHead,
  promotionBasis,
  readCurrentHead,
  writeHead,
} from "../lib/classify/heads.ts";
import { countBySource, LABELS_ROOT, readCourseLabels } from "../lib/classify/labels_store.ts";
import type { Lake } from "../lib/lake.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task train [--promote] [--course ID]… [options]
       deno task train --labels FILE.jsonl [--out HEAD.json] [options]

Embeds the labeled messages and fits logistic regression (L2, balanced class weights), as SetFit's
head; reports cross-validated metrics. By default it trains on the lake's labels (labels/{course}/:
human labels win over the LLM's, which win over the FAQ's) and writes the head to
models/heads/{version}.json in the lake, with its metrics and the label counts by source.

Options:
  --course ID     train on this course's labels; repeat for several (default: every course)
  --labels FILE   train on a JSON-lines file instead: {"text": "...", "is_faq": true}
  --out FILE      write the head to this file instead of the lake (with --labels, the old way)
  --promote       point the lake's models/heads/current.json at the new head, unless the deployed
                  head's F1 on the same labels is better than the new head's cross-validated F1
  --model DIR     the embedding model folder (default: $MODEL_DIR, then models/Xenova/all-MiniLM-L6-v2)
  --c C           inverse L2 strength (default 1)
  --folds K       cross-validation folds (default 5)
  --device D      wasm (default) or cpu
  --dtype T       fp32, q8 or auto (default auto)
  --lake URL      the lake (default: $LAKE_URL, then ./lake)
  --config FILE   the courses file (default: courses.yml)
  --log-format F  text (default) or json`;

const OPTIONS = {
  labels: { type: "string" },
  course: { type: "string", multiple: true },
  promote: { type: "boolean" },
  model: { type: "string" },
  out: { type: "string" },
  c: { type: "string" },
  folds: { type: "string" },
  device: { type: "string" },
  dtype: { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "train",
  usage: USAGE,
  options: OPTIONS,
  env: CLASSIFY_ENV,
  permissionHint: "The deno task may write only to ./lake, ./models and /tmp.",
  async setup({ values, env, json, io, config: loadConfig, lake: openLake }) {
    const c = Number(values.c ?? 1);
    if (!(c > 0)) throw new RangeError(`--c "${values.c}" must be a positive number`);
    const folds = Number(values.folds ?? 5);
    if (!Number.isInteger(folds) || folds < 2) {
      throw new RangeError(`--folds "${values.folds}" must be a whole number of 2 or more`);
    }
    if (values.out && values.promote) {
      throw new TypeError("--promote deploys a head in the lake; it cannot go with --out FILE");
    }
    let examples: LabeledText[];
    let ids: string[] | undefined;
    let counts: Record<string, number>;
    let labelsName: string;
    // The lake is needed unless a labels file is trained into a head file.
    const lake: Lake | undefined = values.labels && values.out ? undefined : await openLake();
    if (values.labels) {
      examples = parseLabels(await Deno.readTextFile(values.labels), values.labels);
      counts = { file: examples.length };
      labelsName = values.labels;
    } else {
      const courses = selectCourses(await loadConfig(), values.course ?? []);
      const records = (await Promise.all(courses.map((co) => readCourseLabels(lake!, co.id)))).flat();
      if (records.length === 0) {
        throw new TypeError(
          `There are no labels in ${lake!.url}/${LABELS_ROOT}/ for ${courses.map((co) => co.id).join(", ")}: ` +
            `run deno task label:bootstrap (and labels:import), or pass --labels FILE.jsonl`,
        );
      }
      examples = records.map((r) => ({ text: r.text, is_faq: r.label }));
      ids = records.map((r) => r.message_id);
      counts = countBySource(records);
      labelsName = `${LABELS_ROOT}/{${courses.map((co) => co.id).join(",")}}`;
    }
    const modelDir = modelDirOf(values, env);
    const embedder = await loadEmbedder(modelDir, await deviceAndDtype(values, modelDir));
    return {
      lakeUrl: lake?.url,
      close: () => embedder.dispose(),
      async run() {
        const xs = await embedder.embed(examples.map((e) => e.text));
        // Embedded once: training, cross-validation and the deployed head's evaluation share the vectors.
        const encoder = { modelId: embedder.modelId, dims: embedder.dims, modelVersion: embedder.modelVersion };
        let head;
        let outOfFold: readonly boolean[] = [];
        try {
          head = await trainHead({ ...encoder, embed: () => Promise.resolve(xs) }, examples, {
            c,
            folds,
            labels: labelsName,
            onOutOfFold: (p) => outOfFold = p,
          });
        } catch (e) {
          if (e instanceof RangeError) {
            throw new UsageError(`${e.message}: add labels of the missing class (labels:export, then labels:import)`);
          }
          throw e;
        }
        // The ids let the next --promote compare heads on labels this one never saw.
        head.training = { ...head.training, label_counts: counts, ...(ids ? { trained_on: ids } : {}) };
        const cv = head.metrics;
        let where: string;
        if (values.out) {
          await Deno.writeTextFile(values.out, JSON.stringify(head, null, 1) + "\n");
          where = values.out;
        } else where = `${lake!.url}/${await writeHead(lake!, head)}`;
        let decision;
        let currentF1: number | undefined;
        let candidateF1 = cv.f1!;
        if (values.promote) {
          const current = await readCurrentHead(lake!);
          let against;
          if (current) {
            const h = current.head;
            const comparable = h.embedding_model === embedder.modelId && h.embedding_dims === embedder.dims;
            const c = promotionBasis(h.training?.trained_on, ids, examples.map((e) => e.is_faq), outOfFold);
            if (comparable) {
              currentF1 = metrics(
                c.idx.map((i) => examples[i]!.is_faq),
                c.idx.map((i) => score(h, xs[i]!) >= h.thresholds.decision),
              ).f1;
              candidateF1 = c.candidateF1;
            }
            against = { version: h.version, f1: currentF1 ?? 0, comparable, basis: c.basis };
          }
          decision = decidePromotion({ version: head.version, f1: candidateF1 }, against);
          if (decision.promote && current?.head.version !== head.version) {
            await pointCurrentHead(lake!, head, { cvF1: cv.f1!, previous: current?.head.version ?? null });
          }
        }
        if (json) {
          io.out(JSON.stringify({
            event: "summary",
            version: head.version,
            head: where,
            metrics: cv,
            label_counts: counts,
            ...(decision
              ? {
                promoted: decision.promote,
                current_f1: currentF1 ?? null,
                candidate_f1: candidateF1,
                reason: decision.reason,
              }
              : {}),
          }));
        } else {
          io.out(formatTable(["examples", "FAQ", "folds", "precision", "recall", "F1", "accuracy", "by source"], [[
            cv.examples!,
            cv.positives!,
            cv.folds!,
            cv.precision!.toFixed(3),
            cv.recall!.toFixed(3),
            cv.f1!.toFixed(3),
            cv.accuracy!.toFixed(3),
            Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", "),
          ]]));
          io.out(`\nWrote head ${head.version} for ${embedder.modelId} to ${where}.`);
          if (decision) io.out(`${decision.promote ? "Promoted" : "Not promoted"}: ${decision.reason}.`);
        }
        return EXIT.ok;
      },
    };
  },
};

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
