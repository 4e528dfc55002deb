/**
 * A standard Slack export (a folder, or its `.zip`) into the raw layout: the
 * historical backfill.
 *
 * Messages are filed by the UTC day of their `ts`, so the same message always
 * lands in the same raw file whatever time zone the export used. Importing the
 * same or an overlapping export again merges by `ts`: no duplicates, and the
 * newer version of a message wins. A raw file is rewritten only when its
 * content changes, so a repeated import leaves nothing for ingest to redo.
 *
 * The slackdump variant, which escapes `<`, `>` and `&` as `\u003c` and the
 * like, is the same JSON and reads the same way.
 *
 * @module
 */

import { unzipSync } from "fflate";
import * as path from "node:path";
import type { Lake } from "../lake.ts";
import { addDays, parseDay } from "../layout.ts";
import { parseRawDay } from "./raw_json.ts";
import { redactExcerpt, redactJson, redactReport } from "../redact.ts";
import { type RawLeaseOptions, withRawLease } from "./raw_lease.ts";
import { addToGroups, type DayGroups, entryTs, flushDay, type MergeCounts } from "./raw_merge.ts";
import { storeNames, type StoreNamesResult } from "./names.ts";

export type { ImportProblem } from "./raw_merge.ts";

/** A Slack export, read from a folder or a zip. */
export interface ExportSource {
  /** Where it is, for messages. */
  readonly label: string;
  /** The channel folders it holds. */
  channels(): string[];
  /** The `YYYY-MM-DD.json` day files of a channel folder, sorted. */
  dayFiles(channel: string): string[];
  /** Reads a day file of a channel. */
  readDay(channel: string, file: string): Promise<Uint8Array>;
  /** Reads a top-level file such as `channels.json`, or `undefined`. */
  readMeta(name: string): Promise<Uint8Array | undefined>;
}

const DAY_FILE_RE = /^\d{4}-\d{2}-\d{2}\.json$/;

/**
 * Opens an export folder or `.zip` file.
 *
 * @param location The folder or zip.
 * @returns The export.
 * @throws {Deno.errors.NotFound} When it does not exist.
 */
export async function openExport(location: string): Promise<ExportSource> {
  const info = await Deno.stat(location);
  if (info.isDirectory) return folderExport(location);
  return zipExport(location, await Deno.readFile(location));
}

function folderExport(root: string): ExportSource {
  const list = (dir: string, dirs: boolean) => {
    try {
      return [...Deno.readDirSync(dir)].filter((e) => (dirs ? e.isDirectory : e.isFile)).map((e) => e.name).sort();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
  };
  return {
    label: root,
    channels: () => list(root, true),
    dayFiles: (channel) => list(path.join(root, channel), false).filter((n) => DAY_FILE_RE.test(n)),
    readDay: (channel, file) => Deno.readFile(path.join(root, channel, file)),
    readMeta: async (name) => {
      try {
        return await Deno.readFile(path.join(root, name));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    },
  };
}

/**
 * Reads an export held in a zip's bytes. Exports zipped with or without a
 * top folder both work.
 *
 * @param label The zip's path, for messages.
 * @param bytes The zip.
 * @returns The export.
 * @throws {SyntaxError} When the bytes are not a zip.
 */
export function zipExport(label: string, bytes: Uint8Array): ExportSource {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new SyntaxError(`${label} is not a readable zip (${(e as Error).message}): pass the export folder or .zip`);
  }
  const names = Object.keys(files).filter((n) => !n.endsWith("/") && !n.startsWith("__MACOSX/"));
  // The export root is the folder that holds channels.json, or the zip root.
  const meta = names.find((n) => /(^|\/)channels\.json$/.test(n));
  const root = meta ? meta.slice(0, meta.length - "channels.json".length) : "";
  const rel = names.filter((n) => n.startsWith(root)).map((n) => n.slice(root.length));
  const byChannel = new Map<string, string[]>();
  for (const r of rel) {
    const parts = r.split("/");
    if (parts.length !== 2 || !DAY_FILE_RE.test(parts[1]!)) continue;
    const list = byChannel.get(parts[0]!) ?? [];
    list.push(parts[1]!);
    byChannel.set(parts[0]!, list);
  }
  return {
    label,
    channels: () => [...byChannel.keys()].sort(),
    dayFiles: (channel) => (byChannel.get(channel) ?? []).sort(),
    readDay: (channel, file) => Promise.resolve(files[`${root}${channel}/${file}`]!),
    readMeta: (name) => Promise.resolve(files[`${root}${name}`]),
  };
}

/** What an import did: the merge's counts, and what was read. */
export interface ImportSummary extends MergeCounts {
  /** The channel folder imported. */
  channel: string;
  /** The channel id from `channels.json`, when it lists the channel. */
  channelId: string | null;
  /** Export day files read. */
  filesRead: number;
  /** Valid messages in them. */
  messages: number;
}

/** Options of {@linkcode importExport}. */
export interface ImportOptions {
  /** The channel folder name, or its id as listed in `channels.json`. */
  channel: string;
  /** The raw prefix of the course, such as `raw/slack/ml-zoomcamp`. */
  rawPrefix: string;
  /**
   * Called after each export file.
   * @default {undefined}
   */
  onProgress?: (done: number, total: number) => void;
  /**
   * Timings of the lease on the raw files (see {@linkcode withRawLease}).
   * @default {undefined} a 60 s lease, waited for up to 15 minutes
   */
  lease?: Omit<RawLeaseOptions, "holder">;
}

type Msg = Record<string, unknown>;

async function resolveChannel(source: ExportSource, wanted: string): Promise<{ name: string; id: string | null }> {
  const folders = source.channels();
  let listed: { id?: unknown; name?: unknown }[] = [];
  const meta = await source.readMeta("channels.json");
  if (meta) {
    try {
      const parsed = JSON.parse(new TextDecoder().decode(meta));
      if (Array.isArray(parsed)) listed = parsed;
    } catch { /* channels.json is optional; a broken one only loses the id */ }
  }
  const byName = listed.find((c) => c.name === wanted);
  const byId = listed.find((c) => typeof c.id === "string" && c.id.toUpperCase() === wanted.toUpperCase());
  const name = folders.includes(wanted) ? wanted : typeof byId?.name === "string" ? byId.name : undefined;
  if (name === undefined || !folders.includes(name)) {
    const shown = folders.slice(0, 30).join(", ") + (folders.length > 30 ? ", …" : "");
    throw new RangeError(
      `Channel "${wanted}" is not in the export ${source.label}: pass one of its channel folders (${
        shown || "none found"
      })`,
    );
  }
  const found = byName ?? byId;
  return { name, id: typeof found?.id === "string" ? found.id : null };
}

/**
 * Imports one channel of a Slack export into a course's raw files.
 *
 * @param source The export.
 * @param lake The lake that holds the course's raw files.
 * @param options The channel and the course's raw prefix.
 * @returns What was imported, and the problems met.
 * @throws {RangeError} When the channel is not in the export.
 * @throws {RawLeaseBusyError} When another run kept writing the raw files for too long.
 */
export async function importExport(source: ExportSource, lake: Lake, options: ImportOptions): Promise<ImportSummary> {
  const channel = await resolveChannel(source, options.channel);
  const summary: ImportSummary = {
    channel: channel.name,
    channelId: channel.id,
    filesRead: 0,
    messages: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    rawFilesWritten: 0,
    rawFilesUnchanged: 0,
    problems: [],
  };
  // The lease keeps a fetch (or another import) from merging into the same raw files meanwhile.
  const holder = `import:export of channel ${channel.name}`;
  await withRawLease(lake, options.rawPrefix, { ...options.lease, holder }, async (lease) => {
    const files = source.dayFiles(channel.name);
    const groups: DayGroups = new Map();
    let done = 0;
    for (const file of files) {
      await lease.keep();
      const label = `${channel.name}/${file}`;
      const items = parseRawDay(await source.readDay(channel.name, file));
      summary.filesRead++;
      for (const item of items) {
        if (item.problem) {
          summary.problems.push(redactReport({ file: label, ...item.problem }));
          continue;
        }
        const v = item.value;
        const ts = entryTs(v);
        if (!ts) {
          summary.problems.push(redactReport({
            file: label,
            entry: item.index,
            reason: `Entry ${item.index} is not a message with a Slack ts; it was not imported`,
            excerpt: redactExcerpt(redactJson(v) ?? String(v), 300),
          }));
          continue;
        }
        summary.messages++;
        addToGroups(groups, ts.micros, v as Msg);
      }
      // Export files come in day order, so days well behind this one are complete: flush them to bound memory.
      const fileDay = file.slice(0, 10);
      try {
        const horizon = addDays(parseDay(fileDay), -2);
        for (const day of [...groups.keys()].filter((d) => d < horizon).sort()) {
          await flushDay(lake, options.rawPrefix, day, groups.get(day)!, summary);
          groups.delete(day);
        }
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
      options.onProgress?.(++done, files.length);
    }
    for (const day of [...groups.keys()].sort()) {
      await flushDay(lake, options.rawPrefix, day, groups.get(day)!, summary);
    }
  });
  return summary;
}

/**
 * Stores the export's own `users.json` and `channels.json` as the names for
 * mentions in `_meta/slack/`, merged by id with what is there.
 *
 * @param source The export.
 * @param lake The lake ingest reads names from.
 * @returns The keys written; a file missing from the export, or not a JSON
 *   array, leaves its names as they were.
 */
export async function importNames(source: ExportSource, lake: Lake): Promise<StoreNamesResult> {
  const list = async (name: string): Promise<unknown[] | undefined> => {
    const bytes = await source.readMeta(name);
    if (!bytes) return undefined;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes));
      return Array.isArray(parsed) ? parsed : undefined;
    } catch {
      return undefined; // Names are a nicety: a broken file must not stop the messages.
    }
  };
  const users = await list("users.json");
  const channels = await list("channels.json");
  return await storeNames(lake, { ...(users ? { users } : {}), ...(channels ? { channels } : {}) });
}
