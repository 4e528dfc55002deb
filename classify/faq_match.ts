/**
 * `deno task faq:match`: re-matches gold against the FAQ now in the lake.
 *
 * @module
 */

import { EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { rematchCourse, type RematchSummary } from "../lib/faq/rematch.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task faq:match [--course ID]... [options]

After a new FAQ import, rewrites gold's match columns (faq_matches, faq_match_id,
faq_match_score, faq_status) with the lexical matcher, from the text already in gold.
Nothing is embedded and no LLM is called; every other column stays as it was.

Options:
  --course ID          only this course; repeat for several (default: every course)
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --log-format F       text (default) or json`;

const OPTIONS = { course: { type: "string", multiple: true } } as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "faq:match",
  usage: USAGE,
  options: OPTIONS,
  afterFailure: "Each gold partition is replaced whole or not at all; run again to finish.",
  async setup({ values, json, io, config: loadConfig, lake: openLake }) {
    const config = await loadConfig();
    const courses = selectCourses(config, values.course ?? []);
    const lake = await openLake();
    return {
      lakeUrl: lake.url,
      async run() {
        const out: RematchSummary[] = [];
        for (const c of courses) out.push(await rematchCourse(lake, c.id));
        if (json) io.out(JSON.stringify({ event: "summary", lake: lake.url, courses: out }));
        else {
          io.out(formatTable(
            ["course", "FAQ path", "partitions", "rewritten", "rows", "changed", "covered"],
            out.map((s) => [s.courseId, s.faqPath, s.partitions, s.rewritten, s.rows, s.changed, s.covered]),
          ));
        }
        return EXIT.ok;
      },
    };
  },
};

/**
 * Runs `faq:match`.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
