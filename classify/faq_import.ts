/**
 * `deno task faq:import`: a course's FAQ into the lake.
 *
 * @module
 */

import * as path from "node:path";
import { EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { importFaq, type ImportFaqResult } from "../lib/faq/import.ts";
import { formatTable } from "../lib/tables.ts";

const USAGE = `Usage: deno task faq:import SOURCE --course ID [--from-course SLUG] [options]
       deno task faq:import [--course ID]...

Writes a course's FAQ to reference/faq/course_id={course}/faq.parquet, replacing it whole.
SOURCE is a _questions folder (--from-course picks the course folder; default: the course id),
one course folder, or a JSON Lines file of {id, question, answer, section}. Without SOURCE, every
course (or each --course) whose courses.yml entry has "faq: {source, from_course}" is imported;
a relative source there is relative to the courses file. Bad entries are reported with their file
and reason and left out; the rest lands. A rerun with an unchanged source writes nothing.

Options:
  --course ID          the course (required with SOURCE)
  --from-course SLUG   the course folder inside a _questions folder
  --lake URL           the lake (default: $LAKE_URL, then ./lake)
  --config FILE        the courses file (default: courses.yml)
  --log-format F       text (default) or json

Exit codes: 0 done, 1 some entries were left out, 2 wrong usage or configuration, 3 the run failed.`;

const OPTIONS = {
  course: { type: "string", multiple: true },
  "from-course": { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "faq:import",
  usage: USAGE,
  options: OPTIONS,
  positionals: true,
  afterFailure: "The FAQ table is replaced whole or not at all; run again.",
  async setup({ values, positionals, json, io, config: loadConfig, lake: openLake }) {
    if (positionals.length > 1) throw new TypeError(`faq:import takes one SOURCE, got ${positionals.length}`);
    const config = await loadConfig();
    const courses = selectCourses(config, values.course ?? []);
    const jobs: { courseId: string; source: string; fromCourse?: string }[] = [];
    if (positionals.length === 1) {
      if ((values.course ?? []).length !== 1) throw new TypeError("faq:import SOURCE needs exactly one --course ID");
      jobs.push({
        courseId: courses[0]!.id,
        source: positionals[0]!,
        ...(values["from-course"] ? { fromCourse: values["from-course"] } : {}),
      });
    } else {
      if (values["from-course"]) throw new TypeError("--from-course goes with a SOURCE");
      const base = path.dirname(config.configFile);
      for (const c of courses) {
        if (!c.faq) continue;
        jobs.push({
          courseId: c.id,
          source: path.resolve(base, c.faq.source),
          ...(c.faq.fromCourse ? { fromCourse: c.faq.fromCourse } : {}),
        });
      }
      if (jobs.length === 0) {
        throw new TypeError(`No course in ${config.configFile} names a FAQ source: pass SOURCE and --course`);
      }
    }
    const lake = await openLake();
    return {
      lakeUrl: lake.url,
      async run() {
        const results: ImportFaqResult[] = [];
        for (const j of jobs) {
          results.push(await importFaq(lake, j.courseId, j.source, j.fromCourse ? { fromCourse: j.fromCourse } : {}));
        }
        const problems = results.reduce((n, r) => n + r.problems.length, 0);
        if (json) {
          for (const r of results) {
            for (const p of r.problems) io.out(JSON.stringify({ event: "problem", course: r.courseId, ...p }));
            const { problems: _p, ...rest } = r;
            io.out(JSON.stringify({ event: "summary", lake: lake.url, ...rest, problems: r.problems.length }));
          }
        } else {
          for (const r of results) for (const p of r.problems) io.err(`${r.courseId}: ${p.file}: ${p.reason}`);
          io.out(formatTable(
            ["course", "entries", "new or changed", "removed", "left out", "written"],
            results.map((
              r,
            ) => [
              r.courseId,
              r.entries,
              r.changed,
              r.removed,
              r.problems.length,
              r.written ? "yes" : "no (unchanged)",
            ]),
          ));
        }
        return problems > 0 ? EXIT.problems : EXIT.ok;
      },
    };
  },
};

/**
 * Runs `faq:import`.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
