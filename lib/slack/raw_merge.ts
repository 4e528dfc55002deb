/**
 * The one merge of Slack messages into the raw layout, shared by
 * `import:export` and `fetch`.
 *
 * Messages are grouped by the UTC day of their `ts`; each day is merged into
 * its raw file by `ts`: one message per `ts`, the newer version wins by exactly
 * ingest's order (also between two versions already in the file), and a raw
 * file is rewritten only when its bytes change, so merging the same messages
 * again writes nothing. A raw file holding an entry the merge cannot place is
 * never rewritten: it is reported, and nothing in it is lost.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { type Day, dayOfMicros, rawDayKey } from "../layout.ts";
import { parseRawDay, type RawProblem } from "./raw_json.ts";
import { changedMessage, compareVersions, parseSlackTs, versionOf } from "./message.ts";
import { redactReport } from "../redact.ts";

/** A raw Slack message object. */
export type Msg = Record<string, unknown>;

/** One problem found while merging. */
export interface ImportProblem extends RawProblem {
  /** The export file or raw key it is in. */
  file: string;
}

/** What merges did, added up. */
export interface MergeCounts {
  /** Messages not in the lake before. */
  added: number;
  /** Messages replaced by a newer version. */
  updated: number;
  /** Messages already there as they are, or in a newer version. */
  unchanged: number;
  /** Raw day files written. */
  rawFilesWritten: number;
  /** Raw day files left as they were. */
  rawFilesUnchanged: number;
  /** Everything that was skipped, with the reason. */
  problems: ImportProblem[];
}

/** Incoming messages by UTC day, then by `ts` in microseconds: the newest version of each. */
export type DayGroups = Map<Day, Map<bigint, Msg>>;

/**
 * Adds one message to the day groups; of two versions of the same `ts`, the
 * newer one stays.
 *
 * @param groups The groups, changed in place.
 * @param micros The message's `ts` in microseconds.
 * @param v The message.
 */
export function addToGroups(groups: DayGroups, micros: bigint, v: Msg): void {
  const day = dayOfMicros(micros);
  let group = groups.get(day);
  if (!group) groups.set(day, group = new Map());
  const prev = group.get(micros);
  if (!prev || newerOrSame(v, prev)) group.set(micros, v);
}

/**
 * The exact ts of the message an entry is about (an Events-API change names
 * another message than its own `ts`), or `undefined` when it is not a message.
 *
 * @param v A raw entry.
 * @returns The canonical ts and its microseconds.
 */
export function entryTs(v: unknown): { raw: string; micros: bigint } | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  return parseSlackTs(changedMessage(v as Msg).ts);
}

/**
 * Ingest's version order (`compareVersions`, then the later entry on a tie):
 * whether `a`, met after `b`, replaces it.
 */
function newerOrSame(a: Msg, b: Msg): boolean {
  return compareVersions(versionOf(changedMessage(a)), versionOf(changedMessage(b))) >= 0;
}

/** The same entry, `1706790000.1` and `"1706790000.100000"` being one ts. */
function sameMessage(a: Msg, b: Msg): boolean {
  const canonical = (m: Msg) => JSON.stringify({ ...m, ts: parseSlackTs(m.ts)?.raw ?? m.ts });
  return canonical(a) === canonical(b);
}

function serialize(messages: Msg[]): string {
  if (messages.length === 0) return "[]\n";
  return `[\n${messages.map((m) => JSON.stringify(m)).join(",\n")}\n]\n`;
}

/**
 * Merges one day's incoming messages into its raw file, and writes the file
 * only when its bytes change. A raw file that is not valid JSON is left alone
 * and reported in `summary.problems`.
 *
 * @param lake The lake that holds the raw files.
 * @param rawPrefix The course's raw prefix.
 * @param day The UTC day.
 * @param incoming The day's messages by `ts` in microseconds.
 * @param summary The counts, added to in place.
 */
export async function flushDay(
  lake: Lake,
  rawPrefix: string,
  day: Day,
  incoming: Map<bigint, Msg>,
  summary: MergeCounts,
): Promise<void> {
  const key = rawDayKey(rawPrefix, day);
  const merged = new Map<bigint, Msg>();
  let before: Uint8Array | undefined;
  if (await lake.stat(key)) {
    before = await lake.read(key);
    const items = parseRawDay(before);
    const broken = items.find((i) => i.index === null);
    if (broken) {
      summary.problems.push(redactReport({
        file: key,
        entry: null,
        reason: `Raw file ${key} is not valid (${
          broken.problem!.reason
        }); ${incoming.size} messages were not merged into it: fix or delete it, then import again`,
      }));
      return;
    }
    // An entry the merge cannot place (bad JSON, no Slack ts) would be lost by a rewrite: leave the file whole.
    const bad = items.filter((i) => i.problem !== undefined || entryTs(i.value) === undefined).map((i) => i.index);
    if (bad.length > 0) {
      summary.problems.push({
        file: key,
        entry: bad[0]!,
        reason: `Raw file ${key} has ${bad.length} entr${
          bad.length === 1 ? "y" : "ies"
        } that are not messages with a Slack ts (${bad.slice(0, 5).join(", ")}${
          bad.length > 5 ? ", …" : ""
        }); it was left as it is and ${incoming.size} messages were not merged into it: fix or remove those entries, then import again`,
      });
      return;
    }
    for (const item of items) {
      const ts = entryTs(item.value)!;
      const prev = merged.get(ts.micros);
      // Two versions of one ts in the file: the newer one wins, as ingest decides.
      if (!prev || newerOrSame(item.value as Msg, prev)) merged.set(ts.micros, item.value as Msg);
    }
  }
  for (const [ts, msg] of incoming) {
    const prev = merged.get(ts);
    if (!prev) {
      summary.added++;
      merged.set(ts, msg);
    } else if (sameMessage(prev, msg) || !newerOrSame(msg, prev)) {
      summary.unchanged++;
    } else {
      summary.updated++;
      merged.set(ts, msg);
    }
  }
  const ordered = [...merged.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  const bytes = new TextEncoder().encode(serialize(ordered));
  if (before && before.length === bytes.length && before.every((b, i) => b === bytes[i])) {
    summary.rawFilesUnchanged++;
    return;
  }
  await lake.write(key, bytes, { contentType: "application/json" });
  summary.rawFilesWritten++;
}
