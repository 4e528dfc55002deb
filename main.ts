/**
 * One command for everything, with subcommands: the entry point of the
 * compiled binary (`deno task compile`), for a VM without Deno.
 *
 * @module
 */

import { main as audit } from "./classify/audit.ts";
import { main as demo } from "./classify/demo.ts";
import { main as evaluate } from "./classify/eval.ts";
import { main as faqDrafts } from "./classify/faq_drafts.ts";
import { main as faqEval } from "./classify/faq_eval.ts";
import { main as faqImport } from "./classify/faq_import.ts";
import { main as faqMatch } from "./classify/faq_match.ts";
import { main as labelBatch } from "./classify/label_batch.ts";
import { main as labelBootstrap } from "./classify/label_bootstrap.ts";
import { main as labelDaily } from "./classify/label_daily.ts";
import { main as labelsExport } from "./classify/labels_export.ts";
import { main as labelsImport } from "./classify/labels_import.ts";
import { main as modelPull } from "./classify/model_pull.ts";
import { main as modelSynth } from "./classify/model_synth.ts";
import { main as report } from "./classify/report.ts";
import { main as train } from "./classify/train.ts";
import { main as fetch } from "./ingest/fetch.ts";
import { main as importExport } from "./ingest/import_export.ts";
import { main as ingest } from "./ingest/ingest.ts";
import { EXIT } from "./lib/cli.ts";

/** The subcommands, by name. */
export const COMMANDS: Readonly<Record<string, [(args: string[]) => Promise<number>, string]>> = Object.freeze({
  fetch: [fetch, "each course channel from the Slack Web API into raw files"],
  ingest: [ingest, "raw Slack day files to bronze Parquet"],
  "import-export": [importExport, "one channel of a Slack export into raw files"],
  "label-batch": [labelBatch, "bronze to gold FAQ labels, for a window"],
  "label-daily": [labelDaily, "bronze to gold for what changed since the last run"],
  train: [train, "train the logistic head on the lake's labels; --promote deploys it"],
  "label-bootstrap": [labelBootstrap, "first training labels from the LLM and the FAQ"],
  "labels-export": [labelsExport, "a course's labels as a CSV for the human audit"],
  "labels-import": [labelsImport, "the human audit's CSV back into the lake"],
  audit: [audit, "precision, recall and F1 of the deployed classifier over 30 days"],
  "faq-import": [faqImport, "a course's FAQ into reference/faq"],
  "faq-match": [faqMatch, "re-match gold against the FAQ now in the lake"],
  "faq-eval": [faqEval, "hit@1, hit@5, MRR@5 of the FAQ matcher on labelled questions"],
  eval: [evaluate, "precision, recall and a suggested band on labeled messages"],
  report: [report, "the maintainers' HTML report for a window"],
  "faq-drafts": [faqDrafts, "FAQ entries drafted for the uncovered recurring questions"],
  demo: [demo, "the whole pipeline on the bundled fixtures, offline"],
  "model-pull": [modelPull, "download the embedding model once"],
  "model-synth": [modelSynth, "write a synthetic test encoder"],
});

const USAGE = `Usage: slack-faq <command> [options]   (each command takes --help)

Commands:
${Object.entries(COMMANDS).map(([name, [, what]]) => `  ${name.padEnd(16)} ${what}`).join("\n")}`;

/**
 * Runs a subcommand.
 *
 * @param args The command-line arguments: the subcommand, then its own.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name] ?? COMMANDS[name.replace(":", "-")];
  if (!command) {
    console.error(`slack-faq: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  return await command[0](rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
