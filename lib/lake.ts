/**
 * One storage interface for the whole pipeline, with a local-folder, an S3 and
 * an in-memory implementation. Nothing above this module knows which one it has.
 *
 * The contract is in `lake_api.ts`; `S3Lake` lives in `lake_s3.ts` and is loaded on demand.
 *
 * Every write is atomic: a reader sees the old object or the new one, never
 * half of one. That is what lets a killed run leave the lake readable.
 *
 * @module
 */

import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { LakeNotFoundError } from "./errors.ts";
import { checkKey, type Lake, type LakeEntry, type S3LakeOptions, type WriteOptions } from "./lake_api.ts";

export { checkKey };
export type { Lake, LakeEntry, S3LakeOptions, WriteOptions };

const TMP_RE = /^\..*\.tmp$/;

function localEntry(key: string, info: Deno.FileInfo): LakeEntry {
  const mtime = info.mtime ?? new Date(0);
  const entry: LakeEntry = {
    key,
    size: info.size,
    lastModified: mtime,
    fingerprint: `${info.size}-${mtime.getTime()}`,
  };
  if (info.ctime) entry.changed = info.ctime.getTime();
  return entry;
}

/** A lake in a local folder. Writes go to a temporary file, then a rename. */
export class LocalLake implements Lake {
  /** The folder, absolute. */
  readonly root: string;
  /** `file://` URL of the folder. */
  readonly url: string;

  /**
   * @param root The lake folder; it is created on the first write.
   */
  constructor(root: string) {
    this.root = path.resolve(root);
    this.url = `file://${this.root}`;
  }

  #path(key: string): string {
    return path.join(this.root, ...checkKey(key).split("/"));
  }

  async *list(prefix: string): AsyncIterable<LakeEntry> {
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    yield* this.#walk(dirKey, prefix);
  }

  async *#walk(dirKey: string, prefix: string): AsyncIterable<LakeEntry> {
    const dir = dirKey === "" ? this.root : path.join(this.root, ...dirKey.split("/"));
    let names: Deno.DirEntry[];
    try {
      names = [];
      for await (const e of Deno.readDir(dir)) names.push(e);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
      throw e;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of names) {
      const key = dirKey === "" ? e.name : `${dirKey}/${e.name}`;
      if (e.isDirectory) {
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix) || key.startsWith(prefix)) {
          yield* this.#walk(key, prefix);
        }
      } else if (e.isFile && key.startsWith(prefix) && !TMP_RE.test(e.name)) {
        yield localEntry(key, await Deno.stat(path.join(dir, e.name)));
      }
    }
  }

  async read(key: string): Promise<Uint8Array> {
    try {
      return await Deno.readFile(this.#path(key));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new LakeNotFoundError(key, this.url);
      throw e;
    }
  }

  async readStream(key: string): Promise<ReadableStream<Uint8Array>> {
    try {
      return (await Deno.open(this.#path(key), { read: true })).readable;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new LakeNotFoundError(key, this.url);
      throw e;
    }
  }

  /**
   * Writes `data` to a temporary file beside `key`, then lets `publish` put it
   * in place; the temporary file never outlives the call.
   */
  async #viaTemp<T>(key: string, data: Uint8Array, publish: (tmp: string, file: string) => Promise<T>): Promise<T> {
    const file = this.#path(key);
    const dir = path.dirname(file);
    await Deno.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(file)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
    try {
      await Deno.writeFile(tmp, data);
      return await publish(tmp, file);
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    await this.#viaTemp(key, data, (tmp, file) => Deno.rename(tmp, file));
  }

  writeIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    return this.#viaTemp(key, data, async (tmp, file) => {
      try {
        // link() fails when the target exists, and a reader never sees a half-written file.
        await Deno.link(tmp, file);
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) return false;
        throw e;
      }
    });
  }

  async delete(key: string): Promise<void> {
    try {
      await Deno.remove(this.#path(key));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }

  async stat(key: string): Promise<LakeEntry | undefined> {
    try {
      const info = await Deno.stat(this.#path(key));
      if (!info.isFile) return undefined;
      return localEntry(key, info);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }
}

/** A lake held in memory, for unit tests. */
export class MemoryLake implements Lake {
  /** `memory://{name}`. */
  readonly url: string;
  #objects = new Map<string, { data: Uint8Array; lastModified: Date; version: number }>();
  #version = 0;

  /**
   * @param name A name for messages.
   */
  constructor(name = "lake") {
    this.url = `memory://${name}`;
  }

  async *list(prefix: string): AsyncIterable<LakeEntry> {
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const e = await this.stat(key);
      if (e) yield e;
    }
  }

  read(key: string): Promise<Uint8Array> {
    const o = this.#objects.get(checkKey(key));
    if (!o) return Promise.reject(new LakeNotFoundError(key, this.url));
    return Promise.resolve(o.data.slice());
  }

  async readStream(key: string): Promise<ReadableStream<Uint8Array>> {
    const data = await this.read(key);
    return new ReadableStream({
      start(c) {
        c.enqueue(data);
        c.close();
      },
    });
  }

  write(key: string, data: Uint8Array): Promise<void> {
    this.#objects.set(checkKey(key), { data: data.slice(), lastModified: new Date(), version: ++this.#version });
    return Promise.resolve();
  }

  writeIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    if (this.#objects.has(checkKey(key))) return Promise.resolve(false);
    return this.write(key, data).then(() => true);
  }

  delete(key: string): Promise<void> {
    this.#objects.delete(checkKey(key));
    return Promise.resolve();
  }

  stat(key: string): Promise<LakeEntry | undefined> {
    const o = this.#objects.get(checkKey(key));
    if (!o) return Promise.resolve(undefined);
    return Promise.resolve({
      key,
      size: o.data.length,
      lastModified: o.lastModified,
      fingerprint: `${o.data.length}-v${o.version}`,
    });
  }
}

/** Options for {@linkcode openLake}. */
export interface OpenLakeOptions {
  /**
   * Settings for `s3://` URLs.
   * @default {{}}
   */
  s3?: S3LakeOptions;
  /**
   * The folder that relative paths are resolved against.
   * @default {""} the process working folder
   */
  cwd?: string;
}

/**
 * Opens a lake from a URL: a path (`./lake`), a `file://` URL, or
 * `s3://bucket[/prefix]`.
 *
 * The S3 client is loaded only for `s3://` URLs, so local runs never load
 * the AWS SDK (nor need its permissions).
 *
 * @param url Where the lake is.
 * @param options S3 settings and the folder for relative paths.
 * @returns The lake.
 * @throws {TypeError} When the URL's scheme is not supported or it has no bucket.
 * @example
 * ```ts
 * import { openLake } from "./lake.ts";
 * const lake = await openLake("./lake");
 * ```
 */
export async function openLake(url: string, options: OpenLakeOptions = {}): Promise<Lake> {
  const trimmed = url.trim();
  if (trimmed === "") throw new TypeError("Lake URL is empty: pass --lake ./lake, file:///path or s3://bucket/prefix");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalLake(path.resolve(options.cwd ?? "", trimmed));
  if (scheme === "file") return new LocalLake(fileURLToPath(trimmed));
  if (scheme === "s3") {
    const rest = trimmed.slice(5);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new TypeError(`Lake URL "${url}" has no valid bucket name: use s3://bucket/prefix`);
    }
    const { S3Lake } = await import("./lake_s3.ts");
    return new S3Lake(bucket, { ...options.s3, prefix: slash < 0 ? "" : rest.slice(slash + 1) });
  }
  if (scheme === "memory") return new MemoryLake(trimmed.slice(9));
  throw new TypeError(`Lake URL "${url}" has an unsupported scheme "${scheme}": use a path, file:// or s3://`);
}
