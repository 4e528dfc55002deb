/**
 * The shared body of `label:batch` and `label:daily`; each entrypoint calls it
 * with its mode.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dayFlag, EXIT, LAKE_ENV, lakeOf, loadConfig, logFormatFlag } from "../lib/cli.ts";
import { CLASSIFY_ENV, CLASSIFY_FLAG_HELP, CLASSIFY_FLAG_OPTIONS, setupClassifier } from "../lib/classify_cli.ts";
import { selectCourses } from "../lib/config.ts";
import { label, type LabelOptions } from "../lib/label.ts";
import { formatLabelSummary } from "../lib/report.ts";

const USAGE = {
  batch: `Usage: deno task label:batch [options]

Labels every bronze partition in the window and writes gold. Partitions already labeled
with the same classifier, embedding and band (and unchanged bronze) are skipped unless --force.

Options:
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --course ID          only this course; repeat for several
  --since YYYY-MM-DD   first day (default: the first partition)
  --until YYYY-MM-DD   last day (default: the last partition)
  --force              relabel even what is up to date
${CLASSIFY_FLAG_HELP}
  --log-format F       text (default) or json`,
  daily: `Usage: deno task label:daily [options]

Labels every bronze partition that ingest changed since the last daily run (late replies
and late messages of earlier days included), and --date if given.

Options:
  --date YYYY-MM-DD    also label this day
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --course ID          only this course; repeat for several
  --force              relabel even what is up to date
${CLASSIFY_FLAG_HELP}
  --log-format F       text (default) or json`,
};

/**
 * Runs `label:batch` or `label:daily`.
 *
 * @param args The command-line arguments.
 * @param mode Which one.
 * @returns The exit code.
 */
export async function runLabelCommand(args: string[], mode: "batch" | "daily"): Promise<number> {
  let options: LabelOptions;
  let lake;
  let json: boolean;
  let notice: string | undefined;
  const name = `label:${mode}`;
  try {
    const { values } = parseArgs({
      args,
      options: {
        lake: { type: "string" },
        config: { type: "string" },
        course: { type: "string", multiple: true },
        since: { type: "string" },
        until: { type: "string" },
        date: { type: "string" },
        force: { type: "boolean" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        ...CLASSIFY_FLAG_OPTIONS,
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE[mode]);
      return EXIT.ok;
    }
    if (mode === "batch" && values.date) throw new TypeError("--date is for label:daily; use --since and --until");
    if (mode === "daily" && (values.since || values.until)) {
      throw new TypeError("--since and --until are for label:batch; label:daily takes --date");
    }
    json = logFormatFlag(values["log-format"]) === "json";
    const env = Object.fromEntries([...LAKE_ENV, ...CLASSIFY_ENV].map((n) => [n, Deno.env.get(n)]));
    const config = await loadConfig({
      configFile: values.config,
      lake: values.lake,
      env,
      readTextFile: Deno.readTextFile,
    });
    const courses = selectCourses(config, values.course ?? []);
    lake = await lakeOf(config);
    const clf = await setupClassifier({ flags: values, env, config, cache: lake });
    notice = clf.llmNotice;
    options = {
      courses,
      embedder: clf.embedder,
      head: clf.head,
      prefilter: clf.prefilter,
      band: clf.band,
      mode,
      since: dayFlag(values.since, "since"),
      until: dayFlag(values.until, "until"),
      date: dayFlag(values.date, "date"),
      force: values.force ?? false,
      ...(clf.llm ? { llm: clf.llm } : {}),
    };
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}`);
    return EXIT.usage;
  }
  if (notice) console.error(notice);
  try {
    const summary = await label(lake, options);
    if (json) console.log(JSON.stringify({ event: "summary", lake: lake.url, ...summary }));
    else console.log(formatLabelSummary(summary));
    return summary.llmFailed > 0 ? EXIT.problems : EXIT.ok;
  } catch (e) {
    const message = (e as Error).message;
    if (json) console.log(JSON.stringify({ event: "error", message }));
    console.error(`${name}: the run stopped: ${message}. Labeled partitions are kept; run again to finish.`);
    return EXIT.failure;
  } finally {
    await options.embedder.dispose();
  }
}
