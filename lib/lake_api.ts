/**
 * The storage contract every stage reads and writes through, and the key check
 * that every implementation shares. It sits below `lake.ts` (local, memory and
 * `openLake`) and `lake_s3.ts` (S3), so neither imports the other.
 *
 * @module
 */

/** What a listing says of one object. */
export interface LakeEntry {
  /** The key, relative to the lake root, with `/` separators. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** When it was last written. */
  lastModified: Date;
  /**
   * A token that changes whenever the content changes: the S3 ETag, or size
   * and modification time for a local file.
   */
  fingerprint: string;
  /**
   * For a local file, its status-change time (ctime) in ms: it moves on every
   * write even when the modification time is put back (`cp -p`, `rsync -a`),
   * so a reader can tell when a size-and-mtime fingerprint needs a content hash.
   * @default {undefined} the fingerprint is strong (an S3 ETag, a memory version)
   */
  changed?: number;
}

/** Options for {@linkcode Lake.write}. */
export interface WriteOptions {
  /**
   * The MIME type stored with the object, where the store keeps one.
   * @default {"application/octet-stream"}
   */
  contentType?: string;
}

/** The storage every part of the pipeline reads and writes through. */
export interface Lake {
  /** The lake's URL, for messages: `file:///…`, `s3://bucket/prefix` or `memory://…`. */
  readonly url: string;
  /**
   * Lists the objects whose keys start with `prefix`, streamed, in key order.
   * @param prefix A key prefix; `""` lists everything.
   */
  list(prefix: string): AsyncIterable<LakeEntry>;
  /**
   * Reads a whole object.
   * @throws {LakeNotFoundError} When the key does not exist.
   */
  read(key: string): Promise<Uint8Array>;
  /**
   * Streams an object, for files too large to hold at once.
   * @throws {LakeNotFoundError} When the key does not exist.
   */
  readStream(key: string): Promise<ReadableStream<Uint8Array>>;
  /** Writes an object atomically, replacing any object at that key. */
  write(key: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Creates an object only when no object has that key, atomically: of two
   * writers racing for one key, exactly one gets `true`. Leases are built on it.
   *
   * @returns `true` when this call created the object, `false` when the key was taken.
   */
  writeIfAbsent(key: string, data: Uint8Array, options?: WriteOptions): Promise<boolean>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Describes an object, or gives `undefined` when it does not exist. */
  stat(key: string): Promise<LakeEntry | undefined>;
}

/**
 * Checks that a key stays inside the lake.
 *
 * @param key A key.
 * @returns The same key.
 * @throws {TypeError} When it is empty, absolute, or has `.` or `..` segments.
 */
export function checkKey(key: string): string {
  if (key === "" || key.startsWith("/") || key.split("/").some((p) => p === ".." || p === ".")) {
    throw new TypeError(`Lake key "${key}" is not valid: use a relative path with no "." or ".." segments`);
  }
  return key;
}

/** Settings of an S3 lake, read from the environment by the entrypoint. */
export interface S3LakeOptions {
  /**
   * The AWS region.
   * @default {"us-east-1"}
   */
  region?: string;
  /**
   * An S3-compatible endpoint (MinIO, R2, s3rver), from `AWS_ENDPOINT_URL_S3`
   * or `AWS_ENDPOINT_URL`.
   * @default {undefined} AWS itself
   */
  endpoint?: string;
  /**
   * Path-style addressing, from `AWS_S3_FORCE_PATH_STYLE`; needed by most
   * S3-compatible stores.
   * @default {false}
   */
  forcePathStyle?: boolean;
  /**
   * Explicit credentials; without them the SDK's default chain is used
   * (environment, profile, SSO, web identity, instance role).
   * @default {undefined}
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Attempts per request; throttling, 5xx and network errors are retried with
   * exponential backoff.
   * @default {6}
   */
  maxAttempts?: number;
  /**
   * Objects at least this large go up as multipart uploads.
   * @default {8388608} 8 MiB
   */
  multipartThreshold?: number;
  /**
   * Part size of a multipart upload; S3's minimum is 5 MiB.
   * @default {8388608} 8 MiB
   */
  partSize?: number;
}
