/**
 * The LLM fallback: asks any OpenAI-compatible endpoint whether a message is a
 * frequently asked question, only for the messages whose model score falls in
 * the uncertainty band.
 *
 * - Answers are structured JSON, `{is_faq, confidence, reason}`, under the
 *   written FAQ definition below; the prompt has a version.
 * - 429s, 5xx and timeouts are retried with backoff by the `openai` client;
 *   calls run a few at a time, and a run makes at most `maxCalls` of them.
 * - Answers are cached in the lake, keyed by a hash of the redacted text, the
 *   model and the prompt version, so a rerun with the same band costs nothing.
 * - Every text is passed through `redactForLlm` (`lib/redact.ts`, which lists
 *   what it removes) before it leaves the machine, and error messages and
 *   reasons kept in gold through `redactSecrets`, with the API key itself
 *   removed: no request body, header or key is ever quoted.
 * - A failure never fails the run: the caller keeps the model's decision.
 *
 * @module
 */

import { createHash } from "node:crypto";
import OpenAI from "openai";
import { LakeNotFoundError } from "../errors.ts";
import type { Lake } from "../lake.ts";
import { STATE_ROOT } from "../layout.ts";
import { REDACTED, redactForLlm, redactSecrets } from "../redact.ts";

export { redactForLlm } from "../redact.ts";

/** Bumped whenever the prompt changes, so cached answers of an old prompt are not reused. */
export const PROMPT_VERSION = "faq-2024-1";

/** What counts as an FAQ, as the LLM is told. */
export const FAQ_DEFINITION =
  `A message is a frequently asked question (FAQ) when it asks something that other students of the same course are likely to ask again in this or a later cohort, and that a short, general answer in the course FAQ document would settle. Typical FAQs: course logistics (joining late, deadlines, certificates, homework submission, grading), environment setup and installation (Docker, Python, cloud accounts, databases), and common errors that many people hit with the course's tools. Not FAQs: greetings, thanks, announcements, social chat, opinions, one-off personal situations, and debugging that depends only on the author's own code.`;

const SYSTEM = `${FAQ_DEFINITION}

You classify one Slack message from a course channel. Reply with a JSON object only, with exactly these keys:
{"is_faq": true or false, "confidence": a number from 0 to 1, "reason": "one short sentence"}`;

/** The LLM's verdict on one message. */
export interface LlmAnswer {
  /** Whether it is an FAQ. */
  is_faq: boolean;
  /** The LLM's confidence, 0 to 1. */
  confidence: number;
  /** Why, in one sentence. */
  reason: string;
}

/** What became of one message sent to the fallback. */
export type LlmResult =
  | { status: "answered" | "cached"; answer: LlmAnswer }
  | { status: "failed"; error: string }
  | { status: "capped" };

/** Options of {@linkcode LlmJudge}. */
export interface LlmOptions {
  /** The API key. */
  apiKey: string;
  /** The model, such as `gpt-4o-mini`. */
  model: string;
  /**
   * An OpenAI-compatible endpoint.
   * @default {undefined} OpenAI's
   */
  baseURL?: string;
  /**
   * Per-request timeout in milliseconds.
   * @default {30000}
   */
  timeoutMs?: number;
  /**
   * Retries of a 429, a 5xx or a timeout, with exponential backoff.
   * @default {3}
   */
  maxRetries?: number;
  /**
   * Requests in flight at once.
   * @default {4}
   */
  concurrency?: number;
  /**
   * Requests per run at most; messages past it keep the model's decision.
   * @default {200}
   */
  maxCalls?: number;
  /**
   * Where answers are cached.
   * @default {undefined} no cache
   */
  cache?: Lake;
}

// The message only: an error's other fields (request, headers) never leave this function.
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : "Unknown error";
}

/**
 * Checks an LLM reply against the answer's shape.
 *
 * @param content The reply's text.
 * @returns The answer.
 * @throws {SyntaxError} When it is not JSON or lacks a field.
 */
export function parseAnswer(content: string): LlmAnswer {
  const trimmed = content.trim().replace(/^```(?:json)?\s*|\s*```$/g, "");
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(trimmed);
  } catch {
    throw new SyntaxError(`LLM reply is not JSON: ${JSON.stringify(content.slice(0, 120))}`);
  }
  const confidence = typeof v?.confidence === "string" ? Number(v.confidence) : v?.confidence;
  if (typeof v?.is_faq !== "boolean" || typeof confidence !== "number" || !(confidence >= 0 && confidence <= 1)) {
    throw new SyntaxError(
      `LLM reply lacks is_faq (boolean) or confidence (0 to 1): ${JSON.stringify(content.slice(0, 120))}`,
    );
  }
  return { is_faq: v.is_faq, confidence, reason: typeof v.reason === "string" ? v.reason.slice(0, 500) : "" };
}

/**
 * The cache key of a text under a model and the prompt version.
 *
 * @param model The LLM model.
 * @param text The redacted text.
 * @returns The lake key.
 */
export function cacheKey(model: string, text: string): string {
  const h = createHash("sha256").update(`${model}\n${PROMPT_VERSION}\n${text}`).digest("hex");
  return `${STATE_ROOT}/classify/llm_cache/${h.slice(0, 2)}/${h}.json`;
}

/** What {@linkcode openAiClient} needs. */
export interface OpenAiClientOptions {
  /** The API key. */
  apiKey: string;
  /**
   * An OpenAI-compatible endpoint.
   * @default {"https://api.openai.com/v1"}
   */
  baseURL?: string;
  /**
   * Per-request timeout in milliseconds.
   * @default {30000}
   */
  timeoutMs?: number;
  /**
   * Retries of 429, 5xx and timeouts, with backoff.
   * @default {3}
   */
  maxRetries?: number;
}

/**
 * The `openai` client every LLM caller shares: the endpoint, timeout and
 * retries, and no organization or project headers taken from the environment.
 *
 * @param options The key, endpoint and limits.
 * @returns The client.
 */
export function openAiClient(options: OpenAiClientOptions): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? "https://api.openai.com/v1",
    organization: null,
    project: null,
    timeout: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 3,
  });
}

/** Asks the LLM about messages, with a cache, a concurrency limit and a call cap. */
export class LlmJudge {
  /** The model asked. */
  readonly model: string;
  /** Requests made so far (cache hits are not requests). */
  calls = 0;
  /** Answers served from the cache so far. */
  cacheHits = 0;
  #client: OpenAI;
  #options: LlmOptions;
  // One request per redacted text for the judge's lifetime: two equal texts in
  // flight at once (or later in the run) share it, with or without a lake cache.
  #asked = new Map<string, Promise<LlmResult>>();

  /**
   * @param options The endpoint, key, model, limits and cache.
   */
  constructor(options: LlmOptions) {
    this.model = options.model;
    this.#options = options;
    this.#client = openAiClient(options);
  }

  /**
   * Judges texts, a few at a time.
   *
   * @param texts Plain texts of messages.
   * @returns One result per text, in order; never throws for a failed call.
   */
  async judge(texts: readonly string[]): Promise<LlmResult[]> {
    const results = new Array<LlmResult>(texts.length);
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const i = next++;
        results[i] = await this.#judgeOne(texts[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#options.concurrency ?? 4) }, worker));
    return results;
  }

  /** What may be stored of an error or a reason: secrets and the key itself removed, bounded. */
  #clean(message: string): string {
    const key = this.#options.apiKey;
    const bare = key.length >= 4 ? message.split(key).join(REDACTED) : message;
    // Gold is queried by people who never saw the message: keep personal data out of reasons too.
    return redactForLlm(redactSecrets(bare)).slice(0, 300);
  }

  async #judgeOne(text: string): Promise<LlmResult> {
    const redacted = redactForLlm(text).slice(0, 4000);
    const key = cacheKey(this.model, redacted);
    const earlier = this.#asked.get(key);
    if (earlier) {
      const result = await earlier;
      if (result.status !== "answered" && result.status !== "cached") return result;
      this.cacheHits++;
      return { status: "cached", answer: { ...result.answer } };
    }
    const asked = this.#ask(redacted, key);
    this.#asked.set(key, asked);
    return await asked;
  }

  async #ask(redacted: string, key: string): Promise<LlmResult> {
    const cache = this.#options.cache;
    if (cache) {
      try {
        const answer = parseAnswer(new TextDecoder().decode(await cache.read(key)));
        answer.reason = this.#clean(answer.reason);
        this.cacheHits++;
        return { status: "cached", answer };
      } catch (e) {
        if (!(e instanceof LakeNotFoundError) && !(e instanceof SyntaxError)) throw e;
      }
    }
    if (this.calls >= (this.#options.maxCalls ?? 200)) return { status: "capped" };
    this.calls++;
    let content: string;
    try {
      const reply = await this.#client.chat.completions.create({
        model: this.model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          { role: "system", content: SYSTEM },
          { role: "user", content: redacted },
        ],
      });
      content = reply.choices?.[0]?.message?.content ?? "";
    } catch (e) {
      return { status: "failed", error: this.#clean(errorText(e)) };
    }
    let answer: LlmAnswer;
    try {
      answer = parseAnswer(content);
      answer.reason = this.#clean(answer.reason);
    } catch (e) {
      return { status: "failed", error: this.#clean(errorText(e)) };
    }
    if (cache) {
      await cache.write(key, new TextEncoder().encode(JSON.stringify(answer)), { contentType: "application/json" });
    }
    return { status: "answered", answer };
  }
}
