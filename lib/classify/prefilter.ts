/**
 * Which bronze messages are FAQ candidates: top-level human messages that look
 * like a question or a help request.
 *
 * The rules, in order:
 *
 * 1. **Who and where.** Only thread heads (`is_thread_head`); no bots (`bot_id`
 *    or `bot_message`), no Slackbot, no deleted messages or tombstones, and no
 *    system subtypes (joins, leaves, topic, purpose, name, pins, reminders,
 *    huddles…). Plain messages, `file_share` and `me_message` pass.
 * 2. **Size.** At least `minChars` characters of plain text. There is no upper
 *    cap by default, because questions that carry a traceback are long; the
 *    encoder truncates to the model's length anyway.
 * 3. **Shape.** The text has a `?`; or it opens (after a greeting) with a
 *    question word (how, what, why, is, can, does, anyone…); or it states a
 *    problem or asks for help ("I get this error when…", "can't connect",
 *    "please help", "not working", "stuck"); or it carries a pasted error or
 *    traceback (`Traceback`, `…Error:`, `Exception`, `exit code`, `ERROR`,
 *    `FATAL`, `permission denied`, `command not found`); or it asks later on,
 *    after the context ("… what am I doing wrong", "… how do I fix it").
 *
 * @module
 */

/** The facts of a bronze row the prefilter reads. */
export interface PrefilterRow {
  /** Top-level message. */
  is_thread_head: boolean;
  /** Slack subtype. */
  subtype: string | null;
  /** Bot id, for bot messages. */
  bot_id: string | null;
  /** The author. */
  user_id: string | null;
  /** Deleted or tombstoned. */
  deleted: boolean;
  /** The plain text. */
  text_plain: string | null;
}

/** Options of {@linkcode isCandidate}. */
export interface PrefilterOptions {
  /**
   * Fewest characters of plain text.
   * @default {8}
   */
  minChars?: number;
  /**
   * Most characters of plain text; 0 means no cap.
   * @default {0}
   */
  maxChars?: number;
  /**
   * Subtypes that count as human messages.
   * @default {["file_share", "me_message"]}
   */
  allowSubtypes?: readonly string[];
  /**
   * Extra patterns (case-insensitive regular expressions); a text matching one
   * counts as a question.
   * @default {[]}
   */
  extraPatterns?: readonly string[];
}

const QUESTION_START =
  /^(?:(?:hi|hey|hello|hola|dear|good (?:morning|afternoon|evening)|greetings)\b[^.!?\n]{0,40}?[,.!:\-–—\s]+)?(?:how|what|what's|whats|when|where|why|which|who|whom|whose|is|are|am|was|were|do|does|did|can|could|should|would|will|shall|may|might|has|have|had|any|anyone|anybody|someone|somebody|is there|are there|does anyone|has anyone|i wonder|wondering|quick question|question)\b/i;

const HELP =
  /\b(?:help|please|pls|plz|any (?:idea|ideas|suggestion|suggestions|advice|tips|pointers)|how (?:to|do|can|should)|i (?:get|got|am getting|'m getting|keep getting|see|am seeing|'m seeing|tried|have tried|'ve tried|am trying|'m trying|can't|cannot|couldn't|could not|am unable|'m unable|am not able|'m not able|am stuck|'m stuck|have (?:a|an|the) (?:issue|problem|error|question|doubt)|need)|(?:can'?t|cannot|can not|couldn'?t|could not|unable to|not able to|fail(?:s|ed|ing)? to|won'?t|doesn'?t|does not|didn'?t|isn'?t|is not|not) (?:work|working|connect|find|load|open|run|start|install|access|login|log in|see|get|create|download|upload|submit|import|build|push|pull|read|write|authenticate|resolve|reach|launch|execute|compile|mount)|not (?:working|found|recognized|recognised|installed|responding|loading|showing)|i (?:do not|don'?t|did not|didn'?t) (?:see|understand|know|get|find)|look(?:ing)? for|desperat\w*|\b[45]0[0-9]\b|could not \w+|couldn'?t \w+|not being \w+|too (?:large|big|slow|long|many|much)|(?:very|so|really) slow|slow(?:ly)? (?:to|when|while)|setting up|never (?:got|get|received|arrived|came|worked|works)|(?:prints?|returns?|gives?|shows?|outputs?) (?:an? )?(?:empty|nothing|blank|null|none|nan|inf|zeros?)|is not a|isn'?t a|died|dies|dying|keeps? (?:crashing|dying|failing|restarting|disconnecting|loading|hanging)|(?:doesn'?t|does not|don'?t|do not|won'?t|isn'?t|aren'?t) (?:update|updating|show|showing|appear|appearing|change|changing|respond|responding|save|saving|stop|display|match|exist|recogni[sz]e)|hang(?:s|ing)?|freez(?:e|es|ing)|frozen|stuck|struggling|trouble|confused|not sure|unsure|error|errors|exception|traceback|issue|issues|problem|problems|fail(?:s|ed|ing|ure)?|crash(?:es|ed|ing)?|broken|bug|timeout|timed out|refused|denied|invalid|missing|insufficient|cannot|can't|unable|doesn't work|wrong|unexpected|warning|deprecated|killed|out of memory|oom|exit code|no such file|no module|quota|exceeded|doubt|clarif(?:y|ication)|deadline|extension|certificate|enrol(?:l|led|lment)?|register|registration|install(?:ing|ation|ed)?|setup|set up|configur(?:e|ing|ation))\b/i;

/**
 * A question asked after the context rather than at the start: students often
 * open with what they did and end with "… what am I doing wrong". Only phrases
 * that ask, so a statement like "here is what I did" stays out.
 */
const QUESTION_LATER =
  /(?:^|[\s.!:;,(])(?:what'?s (?:going on|wrong|happening|the (?:issue|problem|fix))|what (?:is|am i|are we) (?:doing wrong|missing)|what am i (?:doing wrong|missing)|what (?:should|can|do|did) (?:i|we)\b|why (?:is|does|do|am|are|did|would|can'?t|won'?t|doesn'?t)\b|how (?:do|can|should|would) (?:i|we|you)\b|is there (?:a|any|some)\b|does (?:anyone|anybody|someone)\b|(?:anyone|anybody) (?:know|knows|else|has|had|seen|faced|got))/i;

const PASTED_ERROR =
  /Traceback \(most recent call last\)|\b\w*(?:Error|Exception)\b:?|\bexit(?:ed)? (?:with )?(?:code|status) \d+|\bERROR\b|\bFATAL\b|\bpanic:|Segmentation fault|permission denied|command not found|No such file or directory|\bE\d{4}\b|\berrno\b/i;

/** Subtypes of human messages that pass rule 1 by default. */
export const DEFAULT_ALLOWED_SUBTYPES: readonly string[] = Object.freeze(["file_share", "me_message"]);

/**
 * Whether a text looks like a question or a help request (rule 3 only).
 *
 * @param text Plain text.
 * @param extra Compiled extra patterns.
 * @returns `true` when it looks like one.
 * @example
 * ```ts
 * import { looksLikeQuestion } from "./prefilter.ts";
 * looksLikeQuestion("I get this error when running docker compose"); // true
 * looksLikeQuestion("Thanks everyone, great session!"); // false
 * ```
 */
export function looksLikeQuestion(text: string, extra: readonly RegExp[] = []): boolean {
  const t = text.trim().replace(/[\u2018\u2019\u02bc]/g, "'");
  return t.includes("?") || QUESTION_START.test(t) || QUESTION_LATER.test(t) || HELP.test(t) || PASTED_ERROR.test(t) ||
    extra.some((r) => r.test(t));
}

/**
 * Compiles prefilter options once, for many rows.
 *
 * @param options The options.
 * @returns A predicate over bronze rows.
 * @throws {SyntaxError} When an extra pattern is not a valid regular expression.
 */
export function makePrefilter(options: PrefilterOptions = {}): (row: PrefilterRow) => boolean {
  const minChars = options.minChars ?? 8;
  const maxChars = options.maxChars ?? 0;
  const allowed = new Set(options.allowSubtypes ?? DEFAULT_ALLOWED_SUBTYPES);
  const extra = (options.extraPatterns ?? []).map((p) => {
    try {
      return new RegExp(p, "i");
    } catch (e) {
      throw new SyntaxError(
        `Prefilter pattern ${JSON.stringify(p)} is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  });
  return (row) => {
    if (!row.is_thread_head || row.deleted || row.bot_id !== null) return false;
    if (row.subtype !== null && !allowed.has(row.subtype)) return false;
    if (row.user_id === null || row.user_id === "USLACKBOT") return false;
    const text = row.text_plain?.trim() ?? "";
    if (text.length < minChars || (maxChars > 0 && text.length > maxChars)) return false;
    return looksLikeQuestion(text, extra);
  };
}
