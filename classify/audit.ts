/**
 * `deno task audit`: the confusion audit of the deployed classifier over the
 * last 30 days of gold. See `lib/classify/audit.ts`.
 *
 * @module
 */

import { dayFlag, EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { audit, auditKey, belowFloor } from "../lib/classify/audit.ts";
import { CLASSIFY_ENV, llmMaxCallsOf, setupLlm } from "../lib/classify/setup.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task audit [--days 30] [--until YYYY-MM-DD] [--sample N] [--min-f1 F] [options]

Draws a sample of the window's gold decisions per course, stratified by decision source (model,
llm) and score band, labels each by its human label where one exists (labels:import) and by the
LLM otherwise, and reports sample, tp, fp, fn, tn, precision, recall and F1 of the deployed
classifier, with the share of decisions in the LLM band and made by the LLM. Writes
_state/audit/{until}.json in the lake and prints a table.

Options:
  --days N             the window, in days up to --until (default 30)
  --until YYYY-MM-DD   the window's last day (default: today, UTC)
  --sample N           decisions drawn per course (default 100)
  --min-f1 F           exit 1 when a course's F1 is below F (or cannot be measured)
  --course ID          only this course; repeat for several
  --llm-max-calls N    LLM requests per run at most (default: --sample times the courses)
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --log-format F       text (default) or json

Environment: OPENAI_API_KEY (without it only human labels count), OPENAI_BASE_URL, LLM_MODEL.
Exit codes: 0 done, 1 F1 below --min-f1, 2 wrong usage, 3 the run failed.`;

const OPTIONS = {
  days: { type: "string" },
  until: { type: "string" },
  sample: { type: "string" },
  "min-f1": { type: "string" },
  course: { type: "string", multiple: true },
  "llm-max-calls": { type: "string" },
} as const;

function whole(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${flag} "${value}" must be a whole number of 1 or more`);
  return n;
}

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "audit",
  usage: USAGE,
  options: OPTIONS,
  env: CLASSIFY_ENV,
  async setup({ values, env, json, io, config: loadConfig, lake: openLake }) {
    const config = await loadConfig();
    const courses = selectCourses(config, values.course ?? []);
    const days = whole(values.days, "days", 30);
    const sample = whole(values.sample, "sample", 100);
    const until = dayFlag(values.until, "until") ?? new Date().toISOString().slice(0, 10);
    let minF1: number | undefined;
    if (values["min-f1"] !== undefined) {
      minF1 = Number(values["min-f1"]);
      if (!(minF1 >= 0 && minF1 <= 1)) throw new RangeError(`--min-f1 "${values["min-f1"]}" must be from 0 to 1`);
    }
    // The sample is the budget: by default the cap lets every sampled message be asked once.
    const maxCalls = llmMaxCallsOf(values, config) ?? sample * courses.length;
    const lake = await openLake();
    const { llm } = setupLlm(env, { maxCalls, cache: lake });
    if (!llm) io.err("No OPENAI_API_KEY: only decisions with a human label (labels:import) are counted.");
    return {
      lakeUrl: lake.url,
      async run() {
        const report = await audit(lake, { courses, until, days, sample, ...(llm ? { llm } : {}) });
        const failing = minF1 === undefined ? [] : belowFloor(report, minF1);
        if (json) {
          io.out(JSON.stringify({ event: "audit", lake: lake.url, key: auditKey(until), ...report, failing }));
        } else {
          io.out(`Audit of ${report.since} to ${report.until} (${report.days} days):\n`);
          io.out(formatTable(
            ["course", "decisions", "sample", "tp", "fp", "fn", "tn", "precision", "recall", "F1", "in band", "by LLM"],
            Object.entries(report.courses).map(([id, c]) => [
              id,
              c.decisions,
              c.sample,
              c.tp,
              c.fp,
              c.fn,
              c.tn,
              c.precision?.toFixed(3) ?? "n/a",
              c.recall?.toFixed(3) ?? "n/a",
              c.f1?.toFixed(3) ?? "n/a",
              `${(c.band_share * 100).toFixed(1)}%`,
              `${(c.llm_share * 100).toFixed(1)}%`,
            ]),
          ));
          const unlabeled = Object.values(report.courses).reduce((n, c) => n + c.unlabeled, 0);
          io.out(
            `\nLLM: ${report.llm_calls} call(s), ${report.llm_cache_hits} from cache, ${report.llm_failed} failed, ` +
              `${report.llm_capped} over the cap. ${unlabeled} drawn decision(s) had no label.`,
          );
          io.out(`Wrote ${lake.url}/${auditKey(until)}.`);
        }
        if (report.llm_failed > 0) {
          io.err(
            `audit: ${report.llm_failed} LLM request(s) failed; their decisions are counted unlabeled. Run again.`,
          );
        }
        for (const f of failing) io.err(`audit: ${f}`);
        return failing.length > 0 ? EXIT.problems : EXIT.ok;
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
