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
import { checkKey, type Lake, type LakeEntry, type WriteOptions } from "./lake.ts";
import { trimSlash } from "./layout.ts";

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
