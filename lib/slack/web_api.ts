/**
 * Reads a Slack workspace through the Web API, with the official client
 * (`@slack/web-api`'s `WebClient`): channel history, thread replies, users and
 * channels, every page by cursor.
 *
 * The client retries network failures and HTTP errors. Rate limits (HTTP 429)
 * are waited out for as long as `Retry-After` says, each wait counted, and do
 * not use up the retries. The token is handed in by the entrypoint, sent only
 * in the `Authorization` header, and scrubbed from every log line and error
 * message this module produces.
 *
 * @module
 */

import {
  type Logger,
  LogLevel,
  type RetryOptions,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from "@slack/web-api";
import { redactSecrets } from "../redact.ts";

/** The client's `fiveRetriesInFiveMinutes` policy (its `retryPolicies` is not a named export under Deno). */
export const FIVE_RETRIES_IN_FIVE_MINUTES: Readonly<RetryOptions> = Object.freeze({ retries: 5, factor: 3.86 });

/** Slack's own API base URL. */
export const SLACK_API_URL = "https://slack.com/api/";

/** Counters of Web API use, for the summary. */
export interface CallStats {
  /** HTTP requests sent, retries and rate-limited ones included. */
  apiCalls: number;
  /** Pages of results received. */
  pages: number;
  /** Times a rate limit (HTTP 429) was waited out. */
  rateLimitWaits: number;
}

/**
 * A Web API call that failed for good. `code` is Slack's error (`invalid_auth`,
 * `not_in_channel`, `channel_not_found`, `missing_scope`, …), or `network` or
 * `http_{status}`.
 */
export class SlackApiError extends Error {
  /** Slack's error code, or `network` / `http_NNN`. */
  readonly code: string;
  /** The Web API method, such as `conversations.history`. */
  readonly method: string;
  /** The scope Slack said is needed, for `missing_scope`. */
  readonly needed: string | null;

  /**
   * @param method The method.
   * @param code The error code.
   * @param message What happened and what to do, with no token in it.
   * @param needed The scope Slack asked for.
   */
  constructor(method: string, code: string, message: string, needed: string | null = null) {
    super(message);
    this.name = "SlackApiError";
    this.method = method;
    this.code = code;
    this.needed = needed;
  }
}

/** Options of {@linkcode SlackReader}. */
export interface SlackReaderOptions {
  /** The bot token (`xoxb-…`). */
  token: string;
  /**
   * The API base URL.
   * @default {"https://slack.com/api/"}
   */
  apiUrl?: string;
  /**
   * How network failures and HTTP errors are retried (node-retry options).
   * @default {FIVE_RETRIES_IN_FIVE_MINUTES} 5 retries over about 5 minutes
   */
  retry?: RetryOptions;
  /**
   * Results asked for per page (`limit`); Slack recommends 200 at most.
   * @default {200}
   */
  pageSize?: number;
  /**
   * Rate-limit waits allowed for one call before it fails.
   * @default {100}
   */
  maxRateLimitWaits?: number;
  /**
   * Longest rate-limit wait, in seconds: a larger `Retry-After` is cut to this
   * (and said in a log line), a `Retry-After` of 0 or less waits 1 second.
   * @default {300}
   */
  maxRetryAfterSeconds?: number;
  /**
   * Pages one listing may take before it stops with `too_many_pages`: a guard
   * against a server whose cursors never end.
   * @default {100000}
   */
  maxPages?: number;
  /**
   * Milliseconds before one HTTP request is given up (and retried).
   * @default {60000}
   */
  timeoutMs?: number;
  /**
   * Receives the client's warnings and errors, token scrubbed.
   * @default {undefined} they are dropped
   */
  onLog?: (level: "warn" | "error", message: string) => void;
  /**
   * Sleeps during a rate-limit wait.
   * @default {setTimeout}
   */
  sleep?: (ms: number) => Promise<void>;
}

type Page = Record<string, unknown> & { response_metadata?: { next_cursor?: string } };

/**
 * Removes a secret, and anything shaped like a Slack token or another secret
 * (see `lib/redact.ts`), from a text.
 *
 * @param text Any text.
 * @param secret The token in use.
 * @returns The text without it.
 */
export function scrubSecret(text: string, secret: string): string {
  let out = text;
  if (secret.length >= 4) {
    // Also the forms the secret takes inside JSON strings and URLs, so that a log line made by JSON.stringify is clean.
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
      out = out.split(form).join("[REDACTED]");
    }
  }
  return redactSecrets(out);
}

/** The Web API reader: one `WebClient`, with counters and plain errors. */
export class SlackReader {
  #client: WebClient;
  #token: string;
  #apiUrl: string;
  #pageSize: number;
  #maxWaits: number;
  #maxRetryAfter: number;
  #maxPages: number;
  #log: (level: "warn" | "error", message: string) => void;
  #sleep: (ms: number) => Promise<void>;
  #stats: CallStats = { apiCalls: 0, pages: 0, rateLimitWaits: 0 };

  /** @param options The token, the API URL and the retry settings. */
  constructor(options: SlackReaderOptions) {
    this.#token = options.token;
    this.#apiUrl = options.apiUrl ?? SLACK_API_URL;
    this.#pageSize = options.pageSize ?? 200;
    this.#maxWaits = options.maxRateLimitWaits ?? 100;
    this.#maxRetryAfter = options.maxRetryAfterSeconds ?? 300;
    this.#maxPages = options.maxPages ?? 100_000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#log = (level, message) => options.onLog?.(level, scrubSecret(message, this.#token));
    const log = (level: "warn" | "error") => (...msgs: unknown[]) =>
      options.onLog?.(level, scrubSecret(msgs.map(String).join(" "), this.#token));
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: log("warn"),
      error: log("error"),
      setLevel: () => {},
      getLevel: () => LogLevel.WARN,
      setName: () => {},
    };
    this.#client = new WebClient(options.token, {
      slackApiUrl: this.#apiUrl,
      logger,
      retryConfig: { ...(options.retry ?? FIVE_RETRIES_IN_FIVE_MINUTES) },
      // Rate limits are waited out below, so that they never use up the retries.
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs ?? 60_000,
      fetch: async (input, init) => {
        this.#stats.apiCalls++;
        const res = await fetch(input, init);
        // Slack answers an unknown method with 200 and "unknown_method"; a stand-in may say 404. Do not retry it.
        if (res.status === 404) {
          await res.body?.cancel();
          return Response.json({ ok: false, error: "unknown_method" });
        }
        return res;
      },
    });
  }

  /**
   * Makes later calls add to these counters (one set per course).
   *
   * @param stats The counters.
   */
  countInto(stats: CallStats): void {
    this.#stats = stats;
  }

  async #call(method: string, args: Record<string, unknown>): Promise<Page> {
    for (let waits = 0;; waits++) {
      try {
        return await this.#client.apiCall(method, args) as unknown as Page;
      } catch (e) {
        if (e instanceof WebAPIRateLimitedError && waits < this.#maxWaits) {
          this.#stats.rateLimitWaits++;
          await this.#sleep(this.#retryAfter(method, e.retryAfter) * 1000);
          continue;
        }
        // A 429 without a usable Retry-After: the client gives up at once; wait a little longer each time instead.
        if (e instanceof Error && /^Retry header did not contain/.test(e.message) && waits < this.#maxWaits) {
          this.#stats.rateLimitWaits++;
          await this.#sleep(Math.min(30, 1 + waits) * 1000);
          continue;
        }
        throw this.#plain(method, e);
      }
    }
  }

  /** The seconds to wait for a `Retry-After`: at least 1, at most the cap (said in a log line when cut). */
  #retryAfter(method: string, seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 1) return 1;
    if (seconds <= this.#maxRetryAfter) return seconds;
    this.#log(
      "warn",
      `${method} was rate-limited with Retry-After ${seconds} s; waiting ${this.#maxRetryAfter} s instead (the cap)`,
    );
    return this.#maxRetryAfter;
  }

  #plain(method: string, e: unknown): SlackApiError {
    const scrub = (s: string) => scrubSecret(s, this.#token);
    if (e instanceof WebAPIPlatformError) {
      const raw = (e.data as { error?: unknown }).error;
      const data = e.data as unknown as Record<string, unknown>;
      const needed = typeof data.needed === "string" ? data.needed : null;
      // Slack's codes are short snake_case words; anything else (an HTML page, a proxy's text) is not an answer of the API.
      if (typeof raw === "string" && /^[a-z0-9_.]{1,64}$/.test(raw)) {
        return new SlackApiError(method, raw, `Slack refused ${method}: ${raw}`, needed && scrub(needed));
      }
      const what = raw === undefined ? "no error code" : `an answer that is not a Web API error code`;
      return new SlackApiError(
        method,
        "bad_response",
        scrub(`${method} failed with ${what} (${JSON.stringify(raw ?? null).slice(0, 120)})`),
      );
    }
    if (e instanceof WebAPIRateLimitedError) {
      return new SlackApiError(method, "ratelimited", `Slack kept rate-limiting ${method}`);
    }
    if (e instanceof WebAPIHTTPError) {
      return new SlackApiError(
        method,
        `http_${e.statusCode}`,
        scrub(`Slack answered ${method} with HTTP ${e.statusCode} ${e.statusMessage} after the retries`),
      );
    }
    if (e instanceof WebAPIRequestError) {
      return new SlackApiError(
        method,
        "network",
        scrub(`${this.#apiUrl} could not be reached for ${method} after the retries (${e.original.message})`),
      );
    }
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof TypeError || (e instanceof Error && e.name === "AbortError")) {
      // A connection cut while the answer's body was read: fetch reports it as a TypeError.
      return new SlackApiError(method, "network", scrub(`${this.#apiUrl} broke off the answer to ${method} (${msg})`));
    }
    return new SlackApiError(method, "unknown", scrub(`${method} failed: ${msg}`));
  }

  async *#pages(method: string, args: Record<string, unknown>, key: string): AsyncGenerator<unknown[]> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    let pages = 0;
    do {
      if (++pages > this.#maxPages) {
        throw new SlackApiError(
          method,
          "too_many_pages",
          `${method} still had more after ${this.#maxPages} pages; stopped so as not to page forever`,
        );
      }
      const page = await this.#call(method, { ...args, limit: this.#pageSize, ...(cursor ? { cursor } : {}) });
      this.#stats.pages++;
      const list = page[key];
      if (list !== undefined && !Array.isArray(list)) {
        throw new SlackApiError(method, "bad_response", `${method} answered "${key}" that is not a list`);
      }
      yield list ?? [];
      const next = page.response_metadata?.next_cursor;
      cursor = typeof next === "string" && next !== "" ? next : undefined;
      if (cursor !== undefined && seen.has(cursor)) {
        throw new SlackApiError(
          method,
          "cursor_loop",
          `${method} gave a cursor it had given before (after ${pages} pages); stopped so as not to loop forever`,
        );
      }
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor);
  }

  /**
   * A channel's history, newest first, page by page.
   *
   * @param channel The channel id.
   * @param oldest Only messages at or after this Slack `ts`.
   * @returns Each page's messages.
   * @throws {SlackApiError} When Slack refuses, or the network fails after the retries.
   */
  history(channel: string, oldest?: string): AsyncGenerator<unknown[]> {
    return this.#pages(
      "conversations.history",
      { channel, ...(oldest ? { oldest, inclusive: true } : {}) },
      "messages",
    );
  }

  /**
   * A thread: its head, then its replies, page by page.
   *
   * @param channel The channel id.
   * @param ts The thread head's `ts`.
   * @returns Each page's messages.
   * @throws {SlackApiError} When Slack refuses, or the network fails after the retries.
   */
  replies(channel: string, ts: string): AsyncGenerator<unknown[]> {
    return this.#pages("conversations.replies", { channel, ts }, "messages");
  }

  /**
   * Every user of the workspace (`users.list`).
   *
   * @returns Slack's user objects.
   * @throws {SlackApiError} When Slack refuses (`missing_scope` without `users:read`).
   */
  async users(): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const page of this.#pages("users.list", {}, "members")) out.push(...page);
    return out;
  }

  /**
   * Every channel the token can see (`conversations.list`, public and private).
   *
   * @returns Slack's channel objects.
   * @throws {SlackApiError} When Slack refuses (`missing_scope` without `channels:read`).
   */
  async channels(): Promise<unknown[]> {
    const out: unknown[] = [];
    const args = { types: "public_channel,private_channel", exclude_archived: false };
    for await (const page of this.#pages("conversations.list", args, "channels")) out.push(...page);
    return out;
  }
}
