/**
 * `deno task bench:corpus`: writes a deterministic synthetic raw corpus into a lake.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { EXIT } from "../lib/cli.ts";
import { corpusConfig, corpusCourses, corpusDays, generateDay } from "./corpus_gen.ts";
import { openLake } from "../lib/lake.ts";
import { rawDayKey } from "../lib/layout.ts";

const USAGE = `Usage: deno task bench:corpus --messages N --courses C --days D --out LAKE [--seed S] [--end YYYY-MM-DD]

Writes C courses × D days of raw Slack day files, N messages in all, into LAKE
(raw/slack/bench-1/…), and LAKE.courses.yml for --config.`;

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: "string" },
      courses: { type: "string" },
      days: { type: "string" },
      out: { type: "string" },
      seed: { type: "string" },
      end: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.out || !values.messages) {
    console.log(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const messages = Number(values.messages);
  const courses = Number(values.courses ?? 2);
  const days = Number(values.days ?? 60);
  const seed = Number(values.seed ?? 1);
  const end = values.end ?? "2024-07-01";
  const perDay = Math.max(1, Math.round(messages / (courses * days)));
  const lake = await openLake(values.out);
  let written = 0;
  const enc = new TextEncoder();
  for (const [ci, course] of corpusCourses(courses).entries()) {
    for (const day of corpusDays(days, end)) {
      const msgs = generateDay(ci, day, { perDay, seed });
      await lake.write(rawDayKey(`raw/slack/${course}`, day), enc.encode(JSON.stringify(msgs)));
      written += msgs.length;
    }
  }
  await Deno.writeTextFile(`${values.out.replace(/\/+$/, "")}.courses.yml`, corpusConfig(courses));
  console.log(`Wrote ${written} messages: ${courses} courses × ${days} days into ${lake.url}.`);
  return EXIT.ok;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
