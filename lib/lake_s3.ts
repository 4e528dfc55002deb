/**
 * The S3 implementation of the {@linkcode Lake} interface, on
 * `@aws-sdk/client-s3`. It is imported on demand by `openLake()`, so runs on a
 * local lake never load the SDK.
 *
 * @module
 */

import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { LakeNotFoundError } from "./errors.ts";
import { checkKey, type Lake, type LakeEntry, type S3LakeOptions, type WriteOptions } from "./lake_api.ts";
import { trimSlash } from "./layout.ts";

export type { S3LakeOptions };

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NoSuchKey" || err?.name === "NotFound" || err?.$metadata?.httpStatusCode === 404;
}

/** A lake in an S3 bucket, under an optional prefix. */
export class S3Lake implements Lake {
  /** `s3://bucket[/prefix]`. */
  readonly url: string;
  /** The bucket. */
  readonly bucket: string;
  /** The prefix every key is put under, empty or ending in `/`. */
  readonly prefix: string;
  /** The SDK client. */
  readonly client: S3Client;
  #multipartThreshold: number;
  #partSize: number;

  /**
   * @param bucket The bucket name.
   * @param options The connection settings and the key prefix.
   */
  constructor(bucket: string, options: S3LakeOptions & { prefix?: string } = {}) {
    this.bucket = bucket;
    const prefix = trimSlash(options.prefix ?? "");
    this.prefix = prefix === "" ? "" : `${prefix}/`;
    this.url = `s3://${bucket}${prefix === "" ? "" : `/${prefix}`}`;
    const config: S3ClientConfig = {
      region: options.region ?? "us-east-1",
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 6,
      retryMode: "standard",
      // Keep requests compatible with S3-compatible stores that reject the
      // newer default checksums.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.client = new S3Client(config);
    this.#multipartThreshold = options.multipartThreshold ?? 8 * 1024 * 1024;
    this.#partSize = Math.max(options.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
  }

  #key(key: string): string {
    return this.prefix + checkKey(key);
  }

  async *list(prefix: string): AsyncIterable<LakeEntry> {
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          lastModified: o.LastModified ?? new Date(0),
          fingerprint: `${o.Size ?? 0}-${(o.ETag ?? "").replaceAll('"', "")}`,
        };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async #get(key: string) {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      if (!out.Body) throw new LakeNotFoundError(key, this.url);
      return out.Body;
    } catch (e) {
      if (isNotFound(e)) throw new LakeNotFoundError(key, this.url);
      throw e;
    }
  }

  async read(key: string): Promise<Uint8Array> {
    return await (await this.#get(key)).transformToByteArray();
  }

  async readStream(key: string): Promise<ReadableStream<Uint8Array>> {
    return (await this.#get(key)).transformToWebStream() as ReadableStream<Uint8Array>;
  }

  async write(key: string, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const params = {
      Bucket: this.bucket,
      Key: this.#key(key),
      Body: data,
      ContentType: options.contentType ?? "application/octet-stream",
    };
    if (data.length < this.#multipartThreshold) {
      await this.client.send(new PutObjectCommand(params));
      return;
    }
    const upload = new Upload({ client: this.client, params, partSize: this.#partSize, queueSize: 2 });
    await upload.done();
  }

  /**
   * A `PutObject` with `If-None-Match: *`, which AWS S3, MinIO and R2 honour
   * atomically (412 when the key exists). A HEAD goes first, so a store that
   * ignores the header (s3rver) still refuses a key that is already there;
   * on such a store two writers racing in the same instant can both win.
   */
  async writeIfAbsent(key: string, data: Uint8Array, options: WriteOptions = {}): Promise<boolean> {
    if (await this.stat(key)) return false;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.#key(key),
          Body: data,
          ContentType: options.contentType ?? "application/octet-stream",
          IfNoneMatch: "*",
        }),
      );
      return true;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = err?.$metadata?.httpStatusCode;
      // 412: the key exists; 409: a concurrent conditional write to the same key won.
      if (status === 412 || status === 409 || err?.name === "PreconditionFailed") return false;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async stat(key: string): Promise<LakeEntry | undefined> {
    try {
      const o = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return {
        key,
        size: o.ContentLength ?? 0,
        lastModified: o.LastModified ?? new Date(0),
        fingerprint: `${o.ContentLength ?? 0}-${(o.ETag ?? "").replaceAll('"', "")}`,
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
