/**
 * The ingest manifest of a course (`_state/ingest/{course}/manifest.json`): what
 * each raw file held when it was last ingested, and the check that tells a
 * changed file from an unchanged one without reading it when that is safe.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Lake, LakeEntry } from "../lake_api.ts";
import { type Day, manifestKey } from "../layout.ts";

/** A file's record in a course manifest. */
export interface ManifestFile {
  /** The fingerprint the file had when it was ingested. */
  fp: string;
  /** Its last-modified time in ms, which breaks ties between versions. */
  modified: number;
  /** The UTC days its messages fall on. */
  partitions: Day[];
  /** Valid messages in it. */
  messages: number;
  /** Records quarantined from it. */
  quarantined: number;
  /**
   * For a local file: the SHA-256 of its content, checked when size and
   * modification time match but the status-change time moved.
   * @default {undefined}
   */
  sha256?: string;
  /** For a local file: its status-change time in ms when it was ingested. @default {undefined} */
  changed?: number;
  /** For a local file: when `sha256` was computed, in ms (wall clock). @default {undefined} */
  hashed?: number;
}

/** The ingest state of one course. */
export interface Manifest {
  /** Format version. */
  version: 1;
  /** The course. */
  course_id: string;
  /** Files by their `source_file_path`. */
  files: Record<string, ManifestFile>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Loads a course's manifest, or an empty one.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The manifest.
 * @throws {SyntaxError} When it is not JSON; {TypeError} when its format is unknown.
 */
export async function loadManifest(lake: Lake, courseId: string): Promise<Manifest> {
  const entry = await lake.stat(manifestKey(courseId));
  if (!entry) return { version: 1, course_id: courseId, files: {} };
  const text = decoder.decode(await lake.read(manifestKey(courseId)));
  let parsed: Manifest;
  try {
    parsed = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new SyntaxError(
      `Ingest manifest ${manifestKey(courseId)} is not valid JSON (${
        (e as Error).message
      }): delete it to rebuild the course from raw`,
    );
  }
  if (parsed?.version !== 1 || typeof parsed.files !== "object" || parsed.files === null) {
    throw new TypeError(
      `Ingest manifest ${manifestKey(courseId)} has an unknown format: delete it to rebuild the course from raw`,
    );
  }
  return parsed;
}

/**
 * Saves a course's manifest, its files in key order.
 *
 * @param lake The lake.
 * @param manifest The manifest.
 */
export async function saveManifest(lake: Lake, manifest: Manifest): Promise<void> {
  const sorted: Record<string, ManifestFile> = {};
  for (const k of Object.keys(manifest.files).sort()) sorted[k] = manifest.files[k]!;
  await lake.write(
    manifestKey(manifest.course_id),
    encoder.encode(JSON.stringify({ ...manifest, files: sorted }, null, 1)),
    { contentType: "application/json" },
  );
}

/**
 * The SHA-256 of an object, streamed.
 *
 * @param lake The lake.
 * @param key The object.
 * @returns The hex digest.
 */
export async function hashObject(lake: Lake, key: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of await lake.readStream(key)) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Whether a listed raw file must be read again.
 *
 * A strong fingerprint (an S3 ETag) decides alone. A local file's fingerprint
 * is its size and modification time, which `cp -p` and `rsync -a` put back
 * after a same-size edit; its status-change time cannot be put back, so when it
 * moved, the content hash decides. The record is brought up to date when the
 * content turns out unchanged.
 *
 * @param lake The lake the file is in.
 * @param entry The file as listed.
 * @param known Its manifest record, if any.
 * @returns `changed`, and the content hash when one was computed.
 */
export async function needsRead(
  lake: Lake,
  entry: LakeEntry,
  known: ManifestFile | undefined,
): Promise<{ changed: boolean; sha256?: string }> {
  if (!known || known.fp !== entry.fingerprint) return { changed: true };
  if (entry.changed === undefined || (known.changed === entry.changed && !racy(known))) return { changed: false };
  const hashed = Date.now();
  const sha256 = await hashObject(lake, entry.key);
  if (known.sha256 !== undefined && known.sha256 !== sha256) return { changed: true, sha256 };
  // Same content (or a manifest from before hashes were kept): remember the hash and the new ctime.
  known.sha256 = sha256;
  known.changed = entry.changed;
  known.hashed = hashed;
  return { changed: false, sha256 };
}

/**
 * Whether the file may have changed after it was hashed without its ctime
 * showing it: ctime is known to the second only, so an edit in the second the
 * hash was taken keeps the same ctime (git's "racily clean" case).
 */
function racy(known: ManifestFile): boolean {
  return known.changed === undefined || known.hashed === undefined || known.changed + 1000 > known.hashed;
}
