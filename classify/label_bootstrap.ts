/**
 * `deno task label:bootstrap`: the first training labels of each course, from
 * the LLM and the FAQ, on a stratified sample of bronze. See
 * `lib/classify/bootstrap.ts`.
 *
 * @module
 */

import { dayFlag, EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { bootstrap, type BootstrapOptions, faqMatcherFor } from "../lib/classify/bootstrap.ts";
import { CLASSIFY_ENV, llmMaxCallsOf, prefilterOf, setupLlm } from "../lib/classify/setup.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task label:bootstrap [options]

Samples candidate questions from bronze (stratified by course and month, the same sample for the
same --seed), labels them with the LLM (redacted, cached in the lake, capped per run) and with the
FAQ matcher (a covered match is a positive), and writes JSON lines to labels/{course}/ in the lake.
A rerun with the same seed is served from the LLM cache: no new LLM call.

Options:
  --course ID          only this course; repeat for several (default: every course)
  --sample N           messages sampled per course (default 200)
  --seed S             the seed of the draw (default 1)
  --since YYYY-MM-DD   first day of bronze (default: the first)
  --until YYYY-MM-DD   last day of bronze (default: the last)
  --llm-max-calls N    LLM requests per run at most (default: --sample times the courses, unless
                       courses.yml sets classifier.llm_max_calls); run again to label the rest
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --log-format F       text (default) or json

Environment: OPENAI_API_KEY (without it only FAQ labels are written), OPENAI_BASE_URL, LLM_MODEL.
Exit codes: 0 done, 1 some LLM calls failed or hit the cap, 2 wrong usage, 3 the run failed.`;

const OPTIONS = {
  course: { type: "string", multiple: true },
  sample: { type: "string" },
  seed: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  "llm-max-calls": { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "label:bootstrap",
  usage: USAGE,
  options: OPTIONS,
  env: CLASSIFY_ENV,
  afterFailure: "Labels written so far are kept and LLM answers are cached; run again to finish.",
  async setup({ values, env, json, io, config: loadConfig, lake: openLake }) {
    const config = await loadConfig();
    const courses = selectCourses(config, values.course ?? []);
    const since = dayFlag(values.since, "since");
    const until = dayFlag(values.until, "until");
    if (since && until && since > until) throw new RangeError(`--since ${since} is after --until ${until}`);
    const sample = Number(values.sample ?? 200);
    if (!Number.isInteger(sample) || sample < 1) {
      throw new RangeError(`--sample "${values.sample}" must be a whole number of 1 or more`);
    }
    // The sample is the budget: by default the cap lets every sampled message be asked once.
    const maxCalls = llmMaxCallsOf(values, config) ?? sample * courses.length;
    const lake = await openLake();
    const { llm } = setupLlm(env, { maxCalls, cache: lake });
    const faq = faqMatcherFor(lake);
    const options: BootstrapOptions = {
      courses,
      prefilter: prefilterOf(config),
      sample,
      seed: values.seed ?? "1",
      since,
      until,
      ...(llm ? { llm } : {}),
      faq,
    };
    if (!llm) io.err("No OPENAI_API_KEY: no LLM labels; only FAQ-derived labels (positives) are written.");
    return {
      lakeUrl: lake.url,
      async run() {
        const s = await bootstrap(lake, options);
        const faqMissing = s.courses.filter((c) => !c.faqAvailable).map((c) => c.courseId);
        if (json) io.out(JSON.stringify({ event: "summary", lake: lake.url, ...s }));
        else {
          io.out(formatTable(
            ["course", "candidates", "months", "sampled", "human", "LLM", "LLM FAQ", "FAQ", "unlabeled"],
            s.courses.map((c) => [
              c.courseId,
              c.candidates,
              c.months,
              c.sampled,
              c.human,
              c.llm,
              c.llmPositive,
              c.faq,
              c.unlabeled,
            ]),
          ));
          io.out(
            `\nLLM: ${
              s.llm
                ? `${s.llmCalls} call(s), ${s.llmCacheHits} from cache, ${s.llmFailed} failed, ${s.llmCapped} over the cap`
                : "off (no OPENAI_API_KEY)"
            }.`,
          );
          io.out(
            `Labels are in ${lake.url}/labels/{course}/; next: deno task labels:export --course ID --out FILE.csv`,
          );
        }
        if (faqMissing.length > 0) {
          io.err(`No FAQ matcher for ${faqMissing.join(", ")}: no FAQ-derived labels there.`);
        }
        if (s.llmCapped > 0) io.err(`${s.llmCapped} message(s) over the LLM call cap: run again to label them.`);
        return s.llmFailed > 0 || s.llmCapped > 0 ? EXIT.problems : EXIT.ok;
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
