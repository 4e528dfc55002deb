/**
 * One course's ingest: raw files to bronze partitions, the manifest and the
 * change journal. `ingest.ts` runs it for each course, in this process or in a
 * worker (`worker.ts`), which is why it lives apart from the run: the worker
 * imports it without importing the module that starts workers.
 *
 * @module
 */

import { type Course } from "../config.ts";
import { type Lake, type LakeEntry } from "../lake.ts";
import {
  changesKey,
  type Day,
  dayOfMicros,
  partitionKey,
  rawFlatMonthPrefixes,
  rawKeyDay,
  rawMonthPrefixes,
} from "../layout.ts";
import { hashObject, loadManifest, type Manifest, type ManifestFile, needsRead, saveManifest } from "./manifest.ts";

import { type CourseSummary, emptySummary, type IngestOptions, type QuarantineRecord } from "./types.ts";

import { BRONZE_COLUMNS, readParquetRows, writeParquet } from "../parquet.ts";
import { parseRawDay, type RawItem, streamRawDay } from "../slack/raw_json.ts";
import { redactExcerpt, redactJson, redactReport } from "../redact.ts";
import { asMessage, type BronzeRow, compareVersions, messageTs, normalizeMessage } from "../slack/message.ts";
import type { NameLookup } from "../slack/names.ts";

const encoder = new TextEncoder();

/** Normalized rows of one raw file, by partition. */
interface ParsedFile {
  byDay: Map<Day, Candidate[]>;
  messages: number;
  problems: QuarantineRecord[];
  /** The file could not be used at all. */
  failed: boolean;
}

interface Candidate {
  row: BronzeRow;
  modified: number;
  index: number;
}

interface Source {
  lake: Lake;
  /** Listing prefixes inside `lake`. */
  prefixes: string[];
  /** Turns a key of `lake` into the `source_file_path`. */
  pathOf: (key: string) => string;
  /** Turns a `source_file_path` back into a key of `lake`, or `undefined` when it is not from here. */
  keyOf: (path: string) => string | undefined;
}

async function sourceOf(lake: Lake, course: Course, options: IngestOptions): Promise<Source> {
  let src = lake;
  let base = `${course.rawPrefix}/`;
  let pathOf = (key: string) => key;
  let keyOf = (p: string): string | undefined => (p.startsWith(base) ? p : undefined);
  if (course.rawIsUrl) {
    if (!options.openSource) {
      throw new TypeError(`Course "${course.id}" has raw_prefix ${course.rawPrefix}, and this run cannot open URLs`);
    }
    src = await options.openSource(course.rawPrefix);
    base = "";
    const root = course.rawPrefix.replace(/\/+$/, "");
    pathOf = (key) => `${root}/${key}`;
    keyOf = (p) => (p.startsWith(`${root}/`) ? p.slice(root.length + 1) : undefined);
  }
  let prefixes = [base];
  if (options.since) {
    const until = options.until ?? new Date().toISOString().slice(0, 10);
    // Both layouts: year=/month=/day= folders, and date-named flat files.
    prefixes = [...rawMonthPrefixes(base, options.since, until), ...rawFlatMonthPrefixes(base, options.since, until)];
  }
  return { lake: src, prefixes, pathOf, keyOf };
}

function inWindow(key: string, options: IngestOptions): boolean {
  if (!options.since && !options.until) return true;
  const day = rawKeyDay(key);
  if (day === undefined) return false;
  return (!options.since || day >= options.since) && (!options.until || day <= options.until);
}

/** Parsed raw files kept between the scan and the rewrite, up to a byte budget, so most are parsed once. */
class ItemsCache {
  #budget: number;
  #bytes = 0;
  #map = new Map<string, { items: RawItem[]; size: number }>();
  constructor(budget: number) {
    this.#budget = budget;
  }
  get(key: string): RawItem[] | undefined {
    return this.#map.get(key)?.items;
  }
  set(key: string, items: RawItem[], size: number): void {
    if (size > this.#budget) return;
    this.#map.set(key, { items, size });
    this.#bytes += size;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.#budget) break;
      this.#map.delete(k);
      this.#bytes -= v.size;
    }
  }
}

/** Where parseFile gets its entries, and what it keeps. */
interface ParseContext {
  items: ItemsCache;
  large: number;
  names?: NameLookup;
}

function readItems(
  lake: Lake,
  entry: { key: string; size: number },
  ctx: ParseContext,
): Promise<RawItem[] | AsyncIterable<RawItem>> | RawItem[] {
  const cached = ctx.items.get(entry.key);
  if (cached) return cached;
  if (entry.size >= ctx.large) {
    // Large files are streamed entry by entry and never held whole.
    return lake.readStream(entry.key).then((stream) => streamRawDay(stream));
  }
  return lake.read(entry.key).then((bytes) => {
    const items = parseRawDay(bytes);
    ctx.items.set(entry.key, items, entry.size);
    return items;
  });
}

/**
 * Reads one raw file. `scanOnly` learns the days and the problems without
 * building rows: the first pass over changed files needs no more. `onlyDay`
 * keeps the rows of one day, for large files that are streamed per partition.
 */
async function parseFile(
  src: Source,
  entry: { key: string; size: number; modified: number },
  course: Course,
  ingestionTime: bigint,
  ctx: ParseContext,
  mode: { scanOnly?: boolean; onlyDay?: Day } = {},
): Promise<ParsedFile> {
  const file = src.pathOf(entry.key);
  const problems: QuarantineRecord[] = [];
  const byDay = new Map<Day, Candidate[]>();
  let items: RawItem[] | AsyncIterable<RawItem>;
  try {
    items = await readItems(src.lake, entry, ctx);
  } catch (e) {
    const reason = `File could not be read: ${e instanceof Error ? e.message : String(e)}`;
    const problem = redactReport({ course_id: course.id, file, entry: null, reason });
    return { byDay, messages: 0, problems: [problem], failed: true };
  }
  let messages = 0;
  let fileProblem = false;
  for await (const item of items) {
    if (item.problem) {
      fileProblem ||= item.index === null;
      problems.push(redactReport({ course_id: course.id, file, ...item.problem }));
      continue;
    }
    try {
      const msg = asMessage(item.value);
      const micros = messageTs(msg).micros;
      messages++;
      if (mode.scanOnly || (mode.onlyDay !== undefined && dayOfMicros(micros) !== mode.onlyDay)) {
        if (mode.scanOnly) {
          const day = dayOfMicros(micros);
          if (!byDay.has(day)) byDay.set(day, []);
        }
        continue;
      }
      const row = normalizeMessage(msg, {
        courseId: course.id,
        channel: course.channel,
        channelId: course.channelId,
        sourcePath: file,
        ingestionTime,
        users: ctx.names?.users,
        channels: ctx.names?.channels,
      });
      const day = `${String(row.year).padStart(4, "0")}-${String(row.month).padStart(2, "0")}-${
        String(row.day).padStart(2, "0")
      }`;
      let list = byDay.get(day);
      if (!list) byDay.set(day, list = []);
      list.push({ row, modified: entry.modified, index: item.index });
    } catch (e) {
      const json = redactJson(item.value);
      const excerpt = json === undefined ? undefined : redactExcerpt(json, 300);
      problems.push(redactReport({
        course_id: course.id,
        file,
        entry: item.index,
        reason: `Entry ${item.index}: ${(e as Error).message}`,
        ...(excerpt === undefined ? {} : { excerpt }),
      }));
    }
  }
  return { byDay, messages, problems, failed: fileProblem && messages === 0 };
}

/** Keeps the newest version of each message, ordered by `ts`. */
function dedupe(candidates: Candidate[]): { rows: BronzeRow[]; dropped: number } {
  const best = new Map<string, Candidate>();
  for (const c of candidates) {
    const prev = best.get(c.row.message_id);
    if (!prev || newer(c, prev)) best.set(c.row.message_id, c);
  }
  const rows = [...best.values()].map((c) => c.row);
  rows.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.message_id < b.message_id ? -1 : 1));
  return { rows, dropped: candidates.length - rows.length };
}

function newer(a: Candidate, b: Candidate): boolean {
  const v = compareVersions(a.row, b.row);
  if (v !== 0) return v > 0;
  if (a.modified !== b.modified) return a.modified > b.modified;
  if (a.row.source_file_path !== b.row.source_file_path) return a.row.source_file_path > b.row.source_file_path;
  return a.index >= b.index;
}

/** A small cache of parsed files; partitions are visited in day order, so neighbours hit. */
class FileCache {
  #max: number;
  #map = new Map<string, ParsedFile>();
  constructor(max: number) {
    this.#max = max;
  }
  get(key: string): ParsedFile | undefined {
    const v = this.#map.get(key);
    if (v) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  set(key: string, v: ParsedFile): void {
    this.#map.set(key, v);
    while (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
}

/**
 * Ingests one course; `ingest()` calls it for each course, in this process or
 * in a worker.
 *
 * @param lake The lake.
 * @param course The course.
 * @param ingestionTime The run's `ingestion_time`.
 * @param runId The run's id.
 * @param options The run's options.
 * @param quarantine Where quarantined items are added.
 * @returns What was done.
 */
export async function ingestCourse(
  lake: Lake,
  course: Course,
  ingestionTime: bigint,
  runId: string,
  options: IngestOptions,
  quarantine: QuarantineRecord[],
): Promise<CourseSummary> {
  const s = emptySummary(course.id);
  const src = await sourceOf(lake, course, options);
  const manifest = await loadManifest(lake, course.id);

  const changed: (LakeEntry & { modified: number; sha256?: string })[] = [];
  let manifestDirty = false;
  const listedAt = Date.now();
  const listed = new Map<string, LakeEntry>();
  for (const prefix of src.prefixes) {
    for await (const e of src.lake.list(prefix)) {
      // The names under _meta/ and the leases and states under _state/ are not messages, whatever a raw_prefix
      // pointing at the lake root lists.
      if (!e.key.endsWith(".json") || /(^|\/)_(meta|state)\//.test(e.key) || !inWindow(e.key, options)) continue;
      listed.set(e.key, e);
      s.filesListed++;
      const known = manifest.files[src.pathOf(e.key)];
      const check = options.refreshNames ? { changed: true } : await needsRead(src.lake, e, known);
      if (check.changed) changed.push({ ...e, modified: e.lastModified.getTime(), sha256: check.sha256 });
      else if (check.sha256 !== undefined) manifestDirty = true;
    }
  }
  changed.sort((a, b) => (a.key < b.key ? -1 : 1));

  // Phase 1: learn what each changed file holds now.
  const cache = new FileCache(8);
  const parseCtx: ParseContext = {
    items: new ItemsCache(options.cacheBytes ?? 32 * 1024 * 1024),
    large: options.largeFileBytes ?? 64 * 1024 * 1024,
    names: options.names,
  };
  const pending = new Map<string, { entry: ManifestFile; remaining: Set<Day> }>();
  const affected = new Set<Day>();
  let scanned = 0;
  for (const e of changed) {
    options.signal?.throwIfAborted();
    const path = src.pathOf(e.key);
    const parsed = await parseFile(src, e, course, ingestionTime, parseCtx, { scanOnly: true });
    s.filesChanged++;
    for (const p of parsed.problems) quarantine.push(p);
    s.quarantined += parsed.problems.length;
    options.onProgress?.({ courseId: course.id, phase: "scan", done: ++scanned, total: changed.length });
    if (parsed.failed) {
      // Not recorded: the file is retried, and reported, until it is fixed.
      s.filesFailed++;
      continue;
    }
    s.messages += parsed.messages;
    const days = [...parsed.byDay.keys()].sort();
    const old = manifest.files[path]?.partitions ?? [];
    const touched = new Set([...old, ...days]);
    for (const d of touched) affected.add(d);
    const entry: ManifestFile = {
      fp: e.fingerprint,
      modified: e.modified,
      partitions: days,
      messages: parsed.messages,
      quarantined: parsed.problems.length,
    };
    if (e.changed !== undefined) {
      // A local file: keep its content hash, so a same-size edit with its mtime put back is still seen.
      entry.hashed = listedAt; // before any hash of this run: an edit after it is never taken as hashed
      entry.sha256 = e.sha256 ?? await hashObject(src.lake, e.key);
      entry.changed = e.changed;
    }
    pending.set(path, { entry, remaining: touched });
  }

  // Which files feed each affected partition, once the changes apply.
  const feeders = new Map<Day, string[]>();
  const partitionsOf = (path: string) => pending.get(path)?.entry.partitions ?? manifest.files[path]?.partitions ?? [];
  for (const path of new Set([...Object.keys(manifest.files), ...pending.keys()])) {
    for (const d of partitionsOf(path)) {
      if (!affected.has(d)) continue;
      let list = feeders.get(d);
      if (!list) feeders.set(d, list = []);
      list.push(path);
    }
  }

  // Phase 2: rewrite each affected partition whole, in day order.
  const days = [...affected].sort();
  let written = 0;
  let sinceCheckpoint = 0;
  // The journal tells label:daily which partitions changed, without listing history. A batch is
  // journaled before the manifest save that lets the next run skip its files, so no kill can leave
  // a written partition that neither the journal names nor the next run rewrites.
  const unjournaled: Day[] = [];
  let batch = 0;
  const checkpoint = async () => {
    if (unjournaled.length > 0) {
      await lake.write(
        changesKey(course.id, `${runId}-${String(++batch).padStart(5, "0")}`),
        encoder.encode(JSON.stringify({ run_id: runId, course_id: course.id, days: unjournaled })),
        { contentType: "application/json" },
      );
      unjournaled.length = 0;
    }
    await saveManifest(lake, manifest);
    manifestDirty = false;
  };
  for (const day of days) {
    options.signal?.throwIfAborted();
    const candidates: Candidate[] = [];
    const carryOver: string[] = [];
    for (const path of (feeders.get(day) ?? []).sort()) {
      let parsed = cache.get(path);
      if (!parsed) {
        const key = src.keyOf(path);
        // The listing already gave size and date; only files outside the window need a stat.
        const stat = key === undefined ? undefined : listed.get(key) ?? await src.lake.stat(key);
        if (key !== undefined && stat) {
          const entry = {
            key,
            size: stat.size,
            // A changed file's versions carry its new time; an unchanged one keeps the time it was ingested with.
            modified: pending.get(path)?.entry.modified ?? manifest.files[path]?.modified ??
              stat.lastModified.getTime(),
          };
          const large = stat.size >= parseCtx.large;
          parsed = await parseFile(src, entry, course, ingestionTime, parseCtx, large ? { onlyDay: day } : {});
          // A large file's rows of one day are not worth keeping; the rest are visited again for the next day.
          if (!large) cache.set(path, parsed);
        }
      }
      if (!parsed || parsed.failed) carryOver.push(path);
      else candidates.push(...(parsed.byDay.get(day) ?? []));
    }
    const key = partitionKey("bronze", course.id, day);
    // Bronze never loses a message: a feeder that is gone or unreadable keeps the rows it gave
    // before, and a message that no feeder supplies any more (a truncated re-fetch) stays as it was.
    // A message leaves only through a newer version of itself that says it was deleted.
    candidates.push(...await previousRows(lake, key, new Set(carryOver), candidates, manifest));
    const { rows, dropped } = dedupe(candidates);
    if (rows.length === 0) await lake.delete(key);
    else {
      await lake.write(key, writeParquet(BRONZE_COLUMNS, rows), { contentType: "application/vnd.apache.parquet" });
    }
    s.rowsWritten += rows.length;
    s.partitionsWritten++;
    s.duplicatesDropped += dropped;
    options.onProgress?.({ courseId: course.id, phase: "write", done: ++written, total: days.length });

    for (const [path, p] of pending) {
      p.remaining.delete(day);
      if (p.remaining.size === 0) {
        manifest.files[path] = p.entry;
        pending.delete(path);
        manifestDirty = true;
      }
    }
    unjournaled.push(day);
    if (++sinceCheckpoint >= (options.checkpointEvery ?? 20)) {
      await checkpoint();
      sinceCheckpoint = 0;
    }
  }
  for (const [path, p] of pending) { // files with no messages
    manifest.files[path] = p.entry;
    manifestDirty = true;
  }
  if (unjournaled.length > 0 || manifestDirty) await checkpoint();
  return s;
}

/**
 * The rows of the partition as it is that the rewrite must keep: those of the
 * feeders in `carryOver`, which compete with the new versions, and those whose
 * message no candidate supplies any more.
 */
async function previousRows(
  lake: Lake,
  key: string,
  carryOver: Set<string>,
  candidates: Candidate[],
  manifest: Manifest,
): Promise<Candidate[]> {
  if (!(await lake.stat(key))) return [];
  const supplied = new Set(candidates.map((c) => c.row.message_id));
  const rows = readParquetRows<BronzeRow>(BRONZE_COLUMNS, await lake.read(key));
  return rows.filter((r) => carryOver.has(r.source_file_path) || !supplied.has(r.message_id)).map((row, index) => ({
    row,
    modified: manifest.files[row.source_file_path]?.modified ?? 0,
    index,
  }));
}
