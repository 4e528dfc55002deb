/**
 * Trained heads kept in the lake, and which one is deployed:
 *
 * ```
 * models/heads/{version}.json   every head train wrote (the head file format of head.ts)
 * models/heads/current.json     a pointer to the deployed one
 * ```
 *
 * The pointer:
 *
 * ```json
 * { "format": "slack-faq-head-pointer/1", "version": "a1b2c3d4e5f6", "key": "models/heads/a1b2c3d4e5f6.json",
 *   "promoted_at": "2026-11-24T10:00:00.000Z", "cv_f1": 0.91, "previous": "0f9e8d7c6b5a" }
 * ```
 *
 * `label:batch` and `label:daily` use the pointed head when no `--head` or
 * `HEAD_FILE` is given.
 *
 * @module
 */

import { type Head, metrics, parseHead } from "./head.ts";
import type { Lake } from "../lake.ts";

/** Prefix of the trained heads. */
export const HEADS_ROOT = "models/heads";
/** The key of the pointer to the deployed head. */
export const CURRENT_HEAD_KEY = `${HEADS_ROOT}/current.json`;

/** The content of `models/heads/current.json`. */
export interface HeadPointer {
  /** File format. */
  format: "slack-faq-head-pointer/1";
  /** The deployed head's version. */
  version: string;
  /** Its key in the lake. */
  key: string;
  /** When it was promoted, ISO 8601. */
  promoted_at: string;
  /** Its cross-validated F1 when it was promoted. */
  cv_f1: number | null;
  /** The version it replaced, if any. */
  previous: string | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
// train --promote reads the pointer before it writes one: a broken pointer must go first.
const REPAIR = `delete ${CURRENT_HEAD_KEY} from the lake (label:batch then uses the model folder's head.json), ` +
  "then deploy a head with deno task train --promote";

/**
 * The key of a head in the lake.
 *
 * @param version The head's version.
 * @returns The key.
 * @throws {TypeError} When the version is not a safe file name.
 */
export function headKey(version: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(version) || version === "current" || version.startsWith(".")) {
    throw new TypeError(`Head version "${version}" cannot name a file: use letters, digits, ".", "_" or "-"`);
  }
  return `${HEADS_ROOT}/${version}.json`;
}

/**
 * Writes a head to `models/heads/{version}.json`.
 *
 * @param lake The lake.
 * @param head The head.
 * @returns The key written.
 */
export async function writeHead(lake: Lake, head: Head): Promise<string> {
  const key = headKey(head.version);
  await lake.write(key, enc.encode(JSON.stringify(head, null, 1) + "\n"), { contentType: "application/json" });
  return key;
}

/**
 * Reads the pointer to the deployed head.
 *
 * @param lake The lake.
 * @returns The pointer, or `undefined` when no head was promoted.
 * @throws {SyntaxError} When the pointer is not valid.
 */
export async function readHeadPointer(lake: Lake): Promise<HeadPointer | undefined> {
  if (!(await lake.stat(CURRENT_HEAD_KEY))) return undefined;
  const where = `${lake.url}/${CURRENT_HEAD_KEY}`;
  let p: HeadPointer;
  try {
    p = JSON.parse(dec.decode(await lake.read(CURRENT_HEAD_KEY)));
  } catch (e) {
    throw new SyntaxError(`${where} is not JSON (${(e as Error).message}): ${REPAIR}`);
  }
  if (typeof p?.key !== "string" || typeof p?.version !== "string") {
    throw new SyntaxError(`${where} lacks "key" and "version": ${REPAIR}`);
  }
  return p;
}

/**
 * Reads the deployed head.
 *
 * @param lake The lake.
 * @returns The head and its pointer, or `undefined` when no head was promoted.
 * @throws {SyntaxError|TypeError} When the pointer or the head is not valid.
 */
export async function readCurrentHead(lake: Lake): Promise<{ head: Head; pointer: HeadPointer } | undefined> {
  const pointer = await readHeadPointer(lake);
  if (!pointer) return undefined;
  const where = `${lake.url}/${pointer.key}`;
  if (!(await lake.stat(pointer.key))) {
    throw new TypeError(`${CURRENT_HEAD_KEY} points at ${where}, which does not exist: ${REPAIR}`);
  }
  try {
    return { head: parseHead(dec.decode(await lake.read(pointer.key)), where), pointer };
  } catch (e) {
    // parseHead's advice (train one) alone would not do: train --promote reads this pointer first.
    if (e instanceof SyntaxError) {
      throw new SyntaxError(`${(e as Error).message.replace(/: train one with.*$/, "")}: ${REPAIR}`);
    }
    if (e instanceof TypeError) throw new TypeError(`${e.message}: ${REPAIR}`);
    throw e;
  }
}

/**
 * Points `models/heads/current.json` at a head already written.
 *
 * @param lake The lake.
 * @param head The head.
 * @param options Its CV F1, the version it replaces and the clock.
 * @returns The pointer written.
 */
export async function pointCurrentHead(
  lake: Lake,
  head: Head,
  options: { cvF1: number | null; previous: string | null; now?: Date },
): Promise<HeadPointer> {
  const pointer: HeadPointer = {
    format: "slack-faq-head-pointer/1",
    version: head.version,
    key: headKey(head.version),
    promoted_at: (options.now ?? new Date()).toISOString(),
    cv_f1: options.cvF1,
    previous: options.previous,
  };
  await lake.write(CURRENT_HEAD_KEY, enc.encode(JSON.stringify(pointer, null, 1) + "\n"), {
    contentType: "application/json",
  });
  return pointer;
}

/** The outcome of {@linkcode decidePromotion}. */
export interface PromotionDecision {
  /** Whether the new head replaces the current one. */
  promote: boolean;
  /** Why, in one sentence. */
  reason: string;
}

/**
 * Whether a newly trained head should replace the deployed one: only when its
 * cross-validated F1 is not worse than the deployed head's F1 on the same
 * labels. Where the deployed head was trained on some of those labels, the
 * caller compares on the others (`basis` says which); otherwise the deployed
 * head's figure is optimistic and the rule errs on the side of keeping it.
 *
 * @param candidate The new head's version and CV F1.
 * @param current The deployed head's version and F1 on the same labels, or `undefined` when there is none (or it
 *   cannot be compared: `comparable: false`); `basis` names the labels compared on.
 * @returns The decision.
 * @example
 * ```ts
 * import { decidePromotion } from "./heads.ts";
 * decidePromotion({ version: "b", f1: 0.7 }, { version: "a", f1: 0.8, comparable: true }).promote; // false
 * ```
 */
export function decidePromotion(
  candidate: { version: string; f1: number },
  current: { version: string; f1: number; comparable: boolean; basis?: string } | undefined,
): PromotionDecision {
  const f = (x: number) => x.toFixed(3);
  const on = current?.basis ?? "the same labels";
  if (!current) return { promote: true, reason: `no head was deployed, so the new head ${candidate.version} wins` };
  if (current.version === candidate.version) {
    return { promote: true, reason: `the new head ${candidate.version} is the deployed one (same weights)` };
  }
  if (!current.comparable) {
    return {
      promote: true,
      reason:
        `the deployed head ${current.version} was trained on another embedding model, so the new head ${candidate.version} wins`,
    };
  }
  if (candidate.f1 >= current.f1) {
    return {
      promote: true,
      reason: `the new head ${candidate.version} wins: CV F1 ${f(candidate.f1)} >= ${
        f(current.f1)
      } of the deployed head ${current.version} on ${on}`,
    };
  }
  return {
    promote: false,
    reason: `the deployed head ${current.version} wins: its F1 ${
      f(current.f1)
    } on ${on} beats the new head ${candidate.version}'s CV F1 ${f(candidate.f1)}; the new head is kept at ${
      headKey(candidate.version)
    } but not deployed`,
  };
}

/** Labels a deployed head must not have seen, at the least, for the comparison to use them alone. */
export const MIN_UNSEEN = 10;

/** The labels a promotion compares on, from {@linkcode promotionBasis}. */
export interface PromotionBasis {
  /** Indexes of the examples compared on. */
  idx: number[];
  /** The new head's F1 there, from its out-of-fold predictions. */
  candidateF1: number;
  /** Which labels, in words. */
  basis: string;
}

/**
 * Which labels a promotion compares the heads on: those the deployed head was
 * not trained on, when there are at least {@linkcode MIN_UNSEEN} of them with
 * both classes, so that both heads are judged out of sample (the new one by
 * its out-of-fold predictions); otherwise all of them, which favours the
 * deployed head.
 *
 * @param trainedOn The deployed head's `training.trained_on` (message ids), if it has one.
 * @param ids The message id of each example, when the labels came from the lake.
 * @param truth Each example's label.
 * @param outOfFold The new head's out-of-fold prediction of each example.
 * @returns The examples compared on, the new head's F1 there, and the basis in words.
 */
export function promotionBasis(
  trainedOn: unknown,
  ids: readonly string[] | undefined,
  truth: readonly boolean[],
  outOfFold: readonly boolean[],
): PromotionBasis {
  const all = truth.map((_, i) => i);
  const seen = Array.isArray(trainedOn) ? new Set(trainedOn as string[]) : undefined;
  const unseen = seen && ids ? all.filter((i) => !seen.has(ids[i]!)) : [];
  const bothClasses = new Set(unseen.map((i) => truth[i])).size === 2;
  const idx = unseen.length >= MIN_UNSEEN && bothClasses ? unseen : all;
  const candidateF1 = metrics(idx.map((i) => truth[i]!), idx.map((i) => outOfFold[i]!)).f1;
  const basis = idx === all
    ? `the same ${all.length} labels`
    : `the ${idx.length} labels it was not trained on (the new head's out-of-fold predictions there)`;
  return { idx, candidateF1, basis };
}
