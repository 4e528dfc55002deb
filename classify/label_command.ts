/**
 * The shared body of `label:batch` and `label:daily`; each entrypoint calls it
 * with its mode.
 *
 * @module
 */

import { dayFlag, EXIT, processIo, runTask, type TaskSpec, waitFlag } from "../lib/cli.ts";
import { CLASSIFY_ENV, CLASSIFY_FLAG_HELP, CLASSIFY_FLAG_OPTIONS, setupClassifier } from "../lib/classify/setup.ts";
import { selectCourses } from "../lib/config.ts";
import { label, type LabelOptions } from "../lib/classify/label.ts";
import { formatLabelSummary } from "../lib/classify/summary.ts";
import * as path from "node:path";
import { importFaq } from "../lib/faq/import.ts";
import { rematchCourse } from "../lib/faq/rematch.ts";

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
  --wait SECONDS       wait this long for a course another label run holds (default: 0, refuse, exit 4)
${CLASSIFY_FLAG_HELP}
  --log-format F       text (default) or json`,
  daily: `Usage: deno task label:daily [options]

Labels every bronze partition that ingest changed since the last daily run (late replies
and late messages of earlier days included), and --date if given. Courses whose courses.yml
entry names a FAQ source (faq: {source, from_course}) have it re-imported first; when it
changed, earlier gold is re-matched against it (as faq:match does).

Options:
  --date YYYY-MM-DD    also label this day
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --course ID          only this course; repeat for several
  --force              relabel even what is up to date
  --wait SECONDS       wait this long for a course another label run holds (default: 0, refuse, exit 4)
${CLASSIFY_FLAG_HELP}
  --log-format F       text (default) or json`,
};

const OPTIONS = {
  course: { type: "string", multiple: true },
  since: { type: "string" },
  until: { type: "string" },
  date: { type: "string" },
  force: { type: "boolean" },
  wait: { type: "string" },
  ...CLASSIFY_FLAG_OPTIONS,
} as const;

function spec(mode: "batch" | "daily"): TaskSpec<typeof OPTIONS> {
  return {
    name: `label:${mode}`,
    usage: USAGE[mode],
    options: OPTIONS,
    env: CLASSIFY_ENV,
    afterFailure: "Labeled partitions are kept; run again to finish.",
    async setup({ values, env, json, io, config: loadConfig, lake: openLake }) {
      if (mode === "batch" && values.date) throw new TypeError("--date is for label:daily; use --since and --until");
      if (mode === "daily" && (values.since || values.until)) {
        throw new TypeError("--since and --until are for label:batch; label:daily takes --date");
      }
      const config = await loadConfig();
      const courses = selectCourses(config, values.course ?? []);
      const lake = await openLake();
      const since = dayFlag(values.since, "since");
      const until = dayFlag(values.until, "until");
      const date = dayFlag(values.date, "date");
      const waitMs = waitFlag(values.wait);
      const clf = await setupClassifier({ flags: values, env, config, cache: lake, headLake: lake });
      const options: LabelOptions = {
        courses,
        embedder: clf.embedder,
        head: clf.head,
        prefilter: clf.prefilter,
        band: clf.band,
        mode,
        since,
        until,
        date,
        force: values.force ?? false,
        lease: {
          waitMs,
          onWait: (h, until) =>
            io.err(`Waiting for ${h.host} pid ${h.pid}, which holds the course's lease until ${until} (--wait).`),
        },
        ...(clf.llm ? { llm: clf.llm } : {}),
      };
      io.err(`Head ${clf.head.version} (${clf.headFile}).`);
      if (clf.llmNotice) io.err(clf.llmNotice);
      return {
        lakeUrl: lake.url,
        close: () => clf.embedder.dispose(),
        async run() {
          if (mode === "daily") {
            for (const c of courses) {
              if (!c.faq) continue;
              const source = path.resolve(path.dirname(config.configFile), c.faq.source);
              const r = await importFaq(lake, c.id, source, c.faq.fromCourse ? { fromCourse: c.faq.fromCourse } : {});
              for (const p of r.problems) io.err(`${c.id}: FAQ entry left out: ${p.file}: ${p.reason}`);
              if (!r.written) continue;
              const m = await rematchCourse(lake, c.id);
              const line = { event: "faq", course: c.id, entries: r.entries, changed: r.changed, rematched: m.changed };
              io.out(
                json
                  ? JSON.stringify(line)
                  : `${c.id}: FAQ re-imported (${r.entries} entries, ${r.changed} new or changed); ${m.changed} gold row(s) re-matched.`,
              );
            }
          }
          const summary = await label(lake, options);
          if (json) io.out(JSON.stringify({ event: "summary", lake: lake.url, ...summary }));
          else io.out(formatLabelSummary(summary));
          return summary.llmFailed > 0 ? EXIT.problems : EXIT.ok;
        },
      };
    },
  };
}

/**
 * Runs `label:batch` or `label:daily`.
 *
 * @param args The command-line arguments.
 * @param mode Which one.
 * @returns The exit code.
 */
export function runLabelCommand(args: string[], mode: "batch" | "daily"): Promise<number> {
  return runTask(spec(mode), args, processIo(Deno, console));
}
